package dev.vlm3d.engine.guidance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.vlm3d.models.mvdream.MultiViewUNet;
import dev.vlm3d.models.mvdream.UNetConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SD 2.1 backbone: a diffusers-named UNet without camera embedding loads from its own config, computes exactly
 * what the golden-checked LDM-named code computes for one view, and the guidance then takes the DreamFusion form.
 */
class StableDiffusionBackboneTest {

    @TempDir
    Path tmp;

    private static Path firstSet() {
        List<Path> sets = MvDreamFixtureSets.all();
        assertFalse(sets.isEmpty());
        return sets.get(0);
    }

    @Test
    void diffusersNamedUNetEqualsTheLdmNamedOne() throws IOException {
        Path set = firstSet();
        Path ldm = StableDiffusionFolders.ldmUNetWithoutCamera(set.resolve("model"), tmp.resolve("ldm"));
        Path sd = StableDiffusionFolders.diffusersFolder(set.resolve("model"), tmp.resolve("sd"));
        Path unetCase = set.resolve("cases/unet_forward_g1");
        try (GoldenCase c = new GoldenCase(unetCase);
                NDManager m = NDManager.newBaseManager();
                MultiViewUNet a = MultiViewUNet.load(ldm.resolve("unet"), m, DataType.FLOAT32, 0);
                MultiViewUNet b = MultiViewUNet.load(sd.resolve("unet"), m, DataType.FLOAT32, 0)) {
            assertEquals(UNetConfig.Naming.DIFFUSERS, b.config().naming());
            assertFalse(b.hasCameraEmbedding());
            NDArray x = c.input("x", m);
            NDArray t = c.inputs.load("t", m, DataType.INT64);
            NDArray context = c.input("context", m);
            float[] fromLdm = a.forward(x, t, context, null, 1, null).toFloatArray();
            float[] fromDiffusers = b.forward(x, t, context, null, 1, null).toFloatArray();
            double worst = 0;
            for (int i = 0; i < fromLdm.length; i++) {
                worst = Math.max(worst, Math.abs(fromLdm[i] - fromDiffusers[i]));
            }
            assertEquals(0.0, worst, 1e-6, "same weights under both naming schemes");
        }
    }

    @Test
    void stableDiffusionGuidanceUsesTheDreamFusionSurrogate() throws IOException {
        Path set = firstSet();
        Path sd = StableDiffusionFolders.diffusersFolder(set.resolve("model"), tmp.resolve("sd"));
        Path sdsCase;
        try (var cases = Files.list(set.resolve("cases"))) {
            sdsCase = cases.filter(p -> p.getFileName().toString().startsWith("sds_step"))
                    .sorted()
                    .findFirst()
                    .orElseThrow();
        }
        try (GoldenCase c = new GoldenCase(sdsCase);
                NDManager m = NDManager.newBaseManager();
                MvDreamGuidanceModel model = MvDreamGuidanceModel.load(sd, Device.cpu(), null)) {
            ScoreDistillation sds = model.scoreDistillation();
            assertEquals(SdsOptions.Form.DREAMFUSION, sds.options().form());
            assertEquals(1, sds.viewsPerGroup());
            float[] epsVae = c.inputs.loadFloats("eps_vae");
            float[] eps = c.inputs.loadFloats("eps");
            int t = (int) c.inputs.loadLongs("t")[0];
            SdsNoise replay = new SdsNoise() {
                private final ArrayDeque<float[]> draws = new ArrayDeque<>(List.of(epsVae, eps));

                @Override
                public int timestep(int min, int max) {
                    return t;
                }

                @Override
                public float[] gaussian(int n) {
                    return draws.removeFirst();
                }
            };
            try (SdsGuidance guidance = model.forPrompt("a DSLR photo of a corgi", null, replay);
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray rgb = c.input("rgb", m);
                rgb.setRequiresGradient(true);
                ScoreDistillation.Step step = sds.step(
                        rgb,
                        null,
                        t,
                        m.create(eps, sds.latentShape((int) rgb.getShape().get(0))),
                        m.create(epsVae, sds.latentShape((int) rgb.getShape().get(0))),
                        guidance.promptEmbedding(),
                        guidance.negativePromptEmbedding());
                collector.backward(step.loss());
                int batch = (int) rgb.getShape().get(0);
                float w = (float) (1 - sds.schedule().alphaCumprod(t));
                float[] cfg = step.diagnostics().get("noise_pred_cfg").toFloatArray();
                float[] grad = step.diagnostics().get("grad_latents").toFloatArray();
                double sumSq = 0;
                double worst = 0;
                double scale = 0;
                for (int i = 0; i < grad.length; i++) {
                    double g = w * (cfg[i] - eps[i]);
                    sumSq += g * g;
                    worst = Math.max(worst, Math.abs(grad[i] - g / batch));
                    scale = Math.max(scale, Math.abs(g / batch));
                }
                assertTrue(worst <= 1e-5 * scale, "∂loss/∂z0 = (1−ᾱ)(ε̂−ε)/B, off by " + worst);
                assertEquals(0.5 * sumSq / batch, step.loss().getFloat(), 1e-5 * 0.5 * sumSq / batch);
                float[] g = rgb.getGradient().toFloatArray();
                double norm = 0;
                for (float v : g) {
                    assertTrue(Float.isFinite(v));
                    norm += v * v;
                }
                assertTrue(norm > 0, "the gradient reaches the renders");
            }
        }
    }
}
