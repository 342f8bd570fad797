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
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The engine-facing path end to end on every fixture set: load the folder, encode the prompts of the SDS cases, run
 * {@link Guidance#compute} with the cases' recorded noise, and compare with the golden loss and render gradient.
 */
class MvDreamGuidanceModelTest {

    /** Replays recorded draws in the order {@link SdsGuidance} asks for them: posterior noise, timestep, noise. */
    private record Replay(Deque<float[]> gaussians, int t) implements SdsNoise {
        @Override
        public int timestep(int min, int max) {
            return t;
        }

        @Override
        public float[] gaussian(int n) {
            float[] next = gaussians.removeFirst();
            assertEquals(n, next.length);
            return next;
        }
    }

    @TestFactory
    Stream<DynamicNode> guidanceMatchesTheGoldenSdsSteps() {
        List<Path> sets = MvDreamFixtureSets.all();
        assertFalse(sets.isEmpty());
        return sets.stream()
                .flatMap(set -> MvDreamFixtureSets.cases(set).stream()
                        .filter(c -> c.getFileName().toString().startsWith("sds_step"))
                        .map(c -> DynamicTest.dynamicTest(
                                set.getFileName() + "/" + c.getFileName(), () -> runCase(set.resolve("model"), c))));
    }

    private static void runCase(Path model, Path caseDir) {
        try (GoldenCase c = new GoldenCase(caseDir);
                MvDreamGuidanceModel guidanceModel = MvDreamGuidanceModel.load(
                        model,
                        Device.cpu(),
                        SdsOptions.mvdream()
                                .withImageSize(c.params().get("image_size").getAsInt()));
                NDManager m = NDManager.newBaseManager()) {
            JsonObject p = c.params();
            assertEquals(
                    p.get("guidance_scale").getAsDouble(),
                    guidanceModel.scoreDistillation().options().guidanceScale(),
                    0.0);
            assertEquals(
                    p.get("recon_std_rescale").getAsDouble(),
                    guidanceModel.scoreDistillation().options().reconStdRescale(),
                    0.0);
            Deque<float[]> draws =
                    new ArrayDeque<>(List.of(c.inputs.loadFloats("eps_vae"), c.inputs.loadFloats("eps")));
            Replay replay = new Replay(draws, (int) c.inputs.loadLongs("t")[0]);
            String negative = p.get("uncond_prompt").getAsString();
            try (SdsGuidance guidance = guidanceModel.forPrompt(
                            p.get("cond_prompt").getAsString(),
                            negative.equals(SdsOptions.MVDREAM_NEGATIVE_PROMPT) ? null : negative,
                            replay);
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                int weightsAndEmbeddings = guidanceModel.heldArrays();
                assertEmbeddingClose(c, "cond", guidance.promptEmbedding());
                assertEmbeddingClose(c, "uncond", guidance.negativePromptEmbedding());
                // renders as the engine makes them: an op away from a trained leaf, so the test also proves that
                // the gradient crosses the guidance into the graph that produced the renders
                NDArray rgb = c.input("rgb", m);
                NDArray raw = rgb.duplicate();
                raw.setRequiresGradient(true);
                NDArray renders = raw.mul(m.ones(rgb.getShape()));
                GuidanceResult result = guidance.compute(new GuidanceInput(
                        renders,
                        c.input("c2w", m),
                        c.inputs.loadFloats("elevation_deg"),
                        c.inputs.loadFloats("azimuth_deg"),
                        c.inputs.loadFloats("camera_distances"),
                        0,
                        10000));
                collector.backward(result.loss());
                assertTrue(draws.isEmpty(), "both Gaussian draws were used");
                assertEquals(
                        c.inputs.loadLongs("t")[0],
                        result.stats().get("timestep").longValue());
                c.assertClose("loss", new double[] {result.lossValue()});
                c.assertClose("grad_rgb", raw.getGradient());
                c.assertClose("grad_norm", new double[] {result.stats().get("grad_norm")});
                assertEquals(2, guidance.heldArrays(), "a step leaves nothing behind in the job's manager");
                assertEquals(
                        weightsAndEmbeddings,
                        guidanceModel.heldArrays(),
                        "a step leaves nothing behind in the model's managers");
            }
        }
    }

    @org.junit.jupiter.api.Test
    void withoutOptionsAMultiViewFolderGetsTheMvDreamSettings() {
        Path model = MvDreamFixtureSets.all().get(0).resolve("model");
        try (MvDreamGuidanceModel guidanceModel = MvDreamGuidanceModel.load(model, Device.cpu(), null)) {
            ScoreDistillation sds = guidanceModel.scoreDistillation();
            assertEquals(SdsOptions.mvdream(), sds.options());
            assertEquals(4, sds.viewsPerGroup());
            var unet = guidanceModel.pipeline().unet().config();
            var vae = guidanceModel.pipeline().vae().config();
            assertEquals(unet.sampleSize() * vae.downscaleFactor(), sds.imageSize());
        }
    }

    /** The per-job embeddings equal the case's recorded ones within the text-encoder tolerance of the set. */
    private static void assertEmbeddingClose(GoldenCase c, String name, NDArray actual) {
        float[] expected = c.inputs.loadFloats(name);
        float[] got = actual.toType(DataType.FLOAT32, false).toFloatArray();
        assertEquals(expected.length, got.length);
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - expected[i]));
        }
        Path textCase = c.dir.getParent().resolve("text_encode/meta.json");
        double atol = 1e-5;
        try {
            atol = com.google.gson.JsonParser.parseString(java.nio.file.Files.readString(textCase))
                    .getAsJsonObject()
                    .getAsJsonObject("expected")
                    .getAsJsonObject("last_hidden_state")
                    .get("atol")
                    .getAsDouble();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertTrue(worst <= atol, name + " embedding differs by " + worst + " > " + atol);
    }
}
