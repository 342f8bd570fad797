package dev.vlm3d.engine.guidance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonArray;
import dev.vlm3d.models.clip.ClipTextModel;
import dev.vlm3d.models.clip.ClipTokenizer;
import dev.vlm3d.models.mvdream.MultiViewUNet;
import dev.vlm3d.models.mvdream.MvDreamPipeline;
import dev.vlm3d.models.mvdream.VaeEncoder;
import dev.vlm3d.nn.Scalars;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden equivalence with the reference implementations on every case of every MVDream fixture set (see
 * {@link MvDreamFixtureSets}); each case is dispatched on its meta.json {@code kind} and compared with its own
 * tolerances.
 */
class MvDreamGoldenTest {

    @TestFactory
    Stream<DynamicNode> everyCaseOfEverySet() {
        List<Path> sets = MvDreamFixtureSets.all();
        assertFalse(sets.isEmpty(), "no MVDream fixture set found");
        return sets.stream()
                .map(set -> DynamicContainer.dynamicContainer(
                        set.getFileName().toString(),
                        MvDreamFixtureSets.cases(set).stream()
                                .map(c -> DynamicTest.dynamicTest(
                                        c.getFileName().toString(), () -> runCase(set.resolve("model"), c)))));
    }

    private static void runCase(Path model, Path caseDir) {
        try (GoldenCase c = new GoldenCase(caseDir);
                NDManager m = NDManager.newBaseManager()) {
            switch (c.kind()) {
                case "text_encode" -> textEncode(model, c, m);
                case "schedule" -> schedule(model, c);
                case "vae_encode" -> vaeEncode(model, c, m);
                case "unet_forward" -> unetForward(model, c, m);
                case "sds_step" -> sdsStep(model, c, m);
                default -> fail("unknown fixture kind " + c.kind() + " in " + caseDir);
            }
            c.assertAllPassFailTensorsChecked();
        }
    }

    private static void textEncode(Path model, GoldenCase c, NDManager m) {
        ClipTokenizer tokenizer = ClipTokenizer.load(model.resolve("tokenizer"));
        List<String> prompts = new ArrayList<>();
        for (int i = 0; c.hasInput("prompt_" + i); i++) {
            try (NDManager tmp = NDManager.newBaseManager()) {
                NDArray bytes = c.inputs.load("prompt_" + i, tmp, DataType.UINT8);
                prompts.add(new String(bytes.toByteArray(), StandardCharsets.UTF_8));
            }
        }
        JsonArray metaPrompts = c.params().getAsJsonArray("prompts");
        assertEquals(metaPrompts.size(), prompts.size());
        int len = tokenizer.maxLength();
        long[] ids = new long[prompts.size() * len];
        double[] untruncated = new double[prompts.size()];
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(metaPrompts.get(i).getAsString(), prompts.get(i));
            ClipTokenizer.Encoding e = tokenizer.encode(prompts.get(i));
            System.arraycopy(e.ids(), 0, ids, i * len, len);
            untruncated[i] = e.untruncatedLength();
        }
        c.assertClose("input_ids", java.util.Arrays.stream(ids).asDoubleStream().toArray());
        c.assertClose("n_tokens_untruncated", untruncated);
        try (ClipTextModel text = ClipTextModel.load(model.resolve("text_encoder"), m, DataType.FLOAT32)) {
            NDArray idArray = m.create(ids, new Shape(prompts.size(), len));
            NDArray[] states = text.forwardAll(idArray);
            c.assertClose("last_hidden_state", states[states.length - 1]);
            if (c.hasExpected("hidden_states")) {
                NDArray stacked = ai.djl.ndarray.NDArrays.stack(
                        new ai.djl.ndarray.NDList(java.util.Arrays.copyOf(states, states.length - 1)));
                c.assertClose("hidden_states", stacked);
            }
        }
    }

    private static void schedule(Path model, GoldenCase c) {
        NoiseSchedule s = NoiseSchedule.fromSchedulerConfig(model.resolve("scheduler/scheduler_config.json"));
        int n = s.numTrainTimesteps();
        double[] betas = new double[n];
        double[] ac = new double[n];
        double[] ac32 = new double[n];
        double[] sqrtAc = new double[n];
        double[] sqrt1m = new double[n];
        double[] recip = new double[n];
        double[] recipm1 = new double[n];
        for (int t = 0; t < n; t++) {
            betas[t] = (float) s.beta(t);
            ac[t] = s.alphaCumprod(t);
            ac32[t] = (float) s.alphaCumprod(t);
            sqrtAc[t] = s.sqrtAlphaCumprod(t);
            sqrt1m[t] = s.sqrtOneMinusAlphaCumprod(t);
            recip[t] = s.sqrtRecipAlphaCumprod(t);
            recipm1[t] = s.sqrtRecipm1AlphaCumprod(t);
        }
        c.assertClose("betas", betas);
        c.assertClose("alphas_cumprod", ac32);
        c.assertClose("alphas_cumprod_f64", ac);
        c.assertClose("sqrt_alphas_cumprod", sqrtAc);
        c.assertClose("sqrt_one_minus_alphas_cumprod", sqrt1m);
        c.assertClose("sqrt_recip_alphas_cumprod", recip);
        c.assertClose("sqrt_recipm1_alphas_cumprod", recipm1);
        long[] checkT = c.inputs.loadLongs("check_t");
        double[] checkAc = new double[checkT.length];
        double[] checkW = new double[checkT.length];
        for (int i = 0; i < checkT.length; i++) {
            checkAc[i] = (float) s.alphaCumprod((int) checkT[i]);
            checkW[i] = s.reconstructionWeight((int) checkT[i]);
        }
        c.assertClose("check_alphas_cumprod", checkAc);
        c.assertClose("check_w", checkW);
        StepRamp min = ramp(c.params().getAsJsonArray("min_step_percent"));
        StepRamp max = ramp(c.params().getAsJsonArray("max_step_percent"));
        long[] steps = c.inputs.loadLongs("steps");
        double[] pmin = new double[steps.length];
        double[] pmax = new double[steps.length];
        double[] tmin = new double[steps.length];
        double[] tmax = new double[steps.length];
        for (int i = 0; i < steps.length; i++) {
            pmin[i] = min.at(steps[i]);
            pmax[i] = max.at(steps[i]);
            tmin[i] = min.truncatedAt(steps[i], n);
            tmax[i] = max.truncatedAt(steps[i], n);
        }
        c.assertClose("min_step_percent", pmin);
        c.assertClose("max_step_percent", pmax);
        c.assertClose("min_step", tmin);
        c.assertClose("max_step", tmax);
    }

    private static void vaeEncode(Path model, GoldenCase c, NDManager m) {
        try (VaeEncoder vae = VaeEncoder.load(model.resolve("vae"), m, DataType.FLOAT32);
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray image = c.input("image", m);
            image.setRequiresGradient(true);
            NDArray x = image.mul(Scalars.like(image, 2)).sub(1);
            NDArray enc = vae.encoderOutput(x);
            VaeEncoder.Posterior post = vae.posterior(x);
            double scale = c.params().get("scale_factor").getAsDouble();
            assertEquals(scale, vae.config().scalingFactor(), 0.0);
            NDArray latent = post.sample(c.input("eps_vae", m))
                    .mul(Scalars.like(x, vae.config().scalingFactor()));
            collector.backward(latent.mul(c.input("w", m)).sum());
            c.assertClose("enc_out", enc);
            c.assertClose("moments", post.moments());
            c.assertClose("mean", post.mean());
            c.assertClose("logvar", post.logvar());
            c.assertClose("std", post.std());
            c.assertClose("latent", latent);
            c.assertClose("grad_image", image.getGradient());
        }
    }

    private static void unetForward(Path model, GoldenCase c, NDManager m) {
        try (MultiViewUNet unet = MultiViewUNet.load(model.resolve("unet"), m, DataType.FLOAT32, 48)) {
            NDArray x = c.input("x", m);
            NDArray t = c.inputs.load("t", m, DataType.INT64);
            NDArray context = c.input("context", m);
            NDArray camera = c.hasInput("camera") ? c.input("camera", m) : null;
            int numFrames = c.hasInput("num_frames") ? (int) c.inputs.loadLongs("num_frames")[0] : 1;
            Map<String, NDArray> probes = new HashMap<>();
            NDArray eps = unet.forward(x, t, context, camera, numFrames, probes::put);
            c.assertClose("eps", eps);
            for (Map.Entry<String, NDArray> e : probes.entrySet()) {
                if (c.hasExpected(e.getKey())) {
                    c.assertClose(e.getKey(), e.getValue());
                }
            }
            if (c.hasExpected("eps_num_frames_1")) {
                NDArray single = unet.forward(x, t, context, camera, 1, null);
                c.assertClose("eps_num_frames_1", single);
            }
            if (c.hasInput("c2w")) {
                float[] rows = CameraCondition.rows(c.inputs.loadFloats("c2w"));
                int views = rows.length / 16;
                float[] expected = c.inputs.loadFloats("camera");
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], rows[i % (views * 16)], 2e-6, "camera row from c2w at " + i);
                }
            }
        }
    }

    private static void sdsStep(Path model, GoldenCase c, NDManager m) {
        var p = c.params();
        SdsOptions defaults = SdsOptions.mvdream();
        SdsOptions options = new SdsOptions(
                SdsOptions.Form.X0_RECONSTRUCTION,
                p.get("guidance_scale").getAsDouble(),
                p.get("recon_std_rescale").getAsDouble(),
                p.get("n_view").getAsInt(),
                defaults.minStepPercent(),
                defaults.maxStepPercent(),
                DataType.FLOAT32,
                16,
                defaults.defaultNegativePrompt(),
                p.get("image_size").getAsInt());
        try (MvDreamPipeline pipeline = MvDreamPipeline.load(model, m, DataType.FLOAT32, DataType.FLOAT32, 16);
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            assertEquals(
                    p.get("scale_factor").getAsDouble(), pipeline.vae().config().scalingFactor(), 0.0);
            ScoreDistillation sds = new ScoreDistillation(
                    pipeline, NoiseSchedule.fromSchedulerConfig(pipeline.schedulerConfig()), options);
            NDArray rgb = c.input("rgb", m);
            rgb.setRequiresGradient(true);
            int t = (int) c.inputs.loadLongs("t")[0];
            ScoreDistillation.Step step = sds.step(
                    rgb,
                    c.inputs.loadFloats("c2w"),
                    t,
                    c.input("eps", m),
                    c.input("eps_vae", m),
                    c.input("cond", m),
                    c.input("uncond", m));
            collector.backward(step.loss());
            c.assertClose("loss", new double[] {step.loss().getFloat()});
            c.assertClose("grad_rgb", rgb.getGradient());
            for (Map.Entry<String, NDArray> e : step.diagnostics().entrySet()) {
                if (c.hasExpected(e.getKey())) {
                    c.assertClose(e.getKey(), e.getValue());
                }
            }
            int size = sds.imageSize();
            int h = (int) rgb.getShape().get(1);
            int w = (int) rgb.getShape().get(2);
            if (c.hasExpected("resize_h")) {
                c.assertClose("resize_h", BilinearResize.weights(h, size));
                c.assertClose("resize_w", BilinearResize.weights(w, size));
            }
        }
    }

    private static StepRamp ramp(JsonArray a) {
        return new StepRamp(
                a.get(0).getAsInt(),
                a.get(1).getAsDouble(),
                a.get(2).getAsDouble(),
                a.get(3).getAsInt());
    }
}
