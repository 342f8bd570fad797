package dev.vlm3d.engine.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.engine.reward.RewardOptions.QuestionTemplate;
import dev.vlm3d.models.qwen25vl.QwenVlModel;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
import dev.vlm3d.weights.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The wiring around the VLM against the released guidance (docs/paper-vs-code.md): the question strings, the chat
 * prompt's token ids, and the pixels the model receives for the renders of a step.
 */
class QwenVlRewardFidelityTest {

    private static final Path SET = Path.of("src/test/resources/fixtures/qwen25vl/tiny");
    private static QwenVlReward reward;

    @BeforeAll
    static void load() {
        reward = QwenVlReward.load(
                SET.resolve("model-fp32"), SET.resolve("tokenizer"), Device.cpu(), QwenVlPrecision.FP32);
    }

    @AfterAll
    static void close() {
        reward.close();
    }

    /** prompt_type 2, 6 and 5 of the released mvdream_guidance.py with contexts = "a red car", character for character. */
    @Test
    void questionsAreTheReleasedStringsVerbatim() {
        assertEquals(
                "Carefully evaluate the provided images, which show multiple views of a single 3D object. Does "
                        + "the underlying 3D object, considering all views together, meet all of the following criteria "
                        + "simultaneously? \n1. Content Match: The object corresponds to the description: a red car. \n2. "
                        + "Geometric Quality: Based on all views combined, the object appears geometrically sound and "
                        + "consistent. There are no visible signs of major flaws such as multiple faces on one part "
                        + "(Janus-faced issue), broken surfaces, intersecting geometry, or highly unrealistic polygonal facets "
                        + "when considering the object from these different perspectives. \nStrictly respond with only 'Yes' "
                        + "or 'No'.",
                QuestionTemplates.question(QuestionTemplate.SELECTED, "a red car"));
        assertEquals(
                "Carefully evaluate the provided images, which show multiple views of a single 3D object. Does "
                        + "the underlying 3D object, considering all views together, correspond to the description: "
                        + "'a red car'? \nStrictly respond with only 'Yes' or 'No'.",
                QuestionTemplates.question(QuestionTemplate.A, "a red car"));
        assertEquals(
                "Carefully evaluate the 3D object shown in the multiple input image views based on the following "
                        + "criteria: \n1. Content Match: Does the object strongly match the text description: a red car? \n2. "
                        + "Visual Plausibility: Does the object appear visually coherent and plausible across all views, "
                        + "without major jarring artifacts or inconsistencies? \nConsidering both criteria, answer 'Yes' only "
                        + "if BOTH are reasonably met. Otherwise, answer 'No'. Respond strictly with only 'Yes' or 'No'.",
                QuestionTemplates.question(QuestionTemplate.B, "a red car"));
    }

    /**
     * The ids the paper reward feeds the model for 4 renders of 64² are those of the chat template (default system
     * message, 4 image placeholders of 81 pads each, the SELECTED question, generation prompt) read from the
     * fixture's tokenizer.json by an independent BPE.
     */
    @Test
    void chatPromptIdsMatchAnIndependentReadingOfTheTokenizer() throws IOException {
        ReferenceBpe bpe = ReferenceBpe.load(SET.resolve("tokenizer/tokenizer.json"));
        // the reader itself reproduces HF's ids of a golden case
        Path golden = SET.resolve("cases/c_four_views");
        JsonObject meta = JsonParser.parseString(Files.readString(golden.resolve("meta.json")))
                .getAsJsonObject();
        try (SafetensorsCheckpoint expected = SafetensorsCheckpoint.open(golden.resolve("expected.safetensors"))) {
            assertArrayEquals(
                    expected.loadLongs("input_ids"),
                    bpe.encode(meta.get("prompt_text_expanded").getAsString()),
                    "reference reader vs HF");
        }

        String question = QuestionTemplates.question(QuestionTemplate.SELECTED, "a red car");
        StringBuilder prompt = new StringBuilder(
                "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" + "<|im_start|>user\n");
        for (int v = 0; v < 4; v++) {
            prompt.append("<|vision_start|>").append("<|image_pad|>".repeat(81)).append("<|vision_end|>");
        }
        prompt.append(question).append("<|im_end|>\n<|im_start|>assistant\n");
        long[] want = bpe.encode(prompt.toString());

        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            QwenVlReward.VlmReward r = (QwenVlReward.VlmReward) reward.forPrompt("a red car", RewardOptions.defaults());
            assertEquals(question, r.question());
            QwenVlModel.Output out = r.evaluate(renders(m, 4, 64, 0f, 1f, 7));
            assertArrayEquals(want, out.inputIds());
        }
    }

    /**
     * 64² renders reach the processor as the released guidance hands them over: bilinear (align_corners=False) to
     * 256², clamped to [0, 1], then smart_resize to 252², i.e. an 18×18 patch grid and 81 visual tokens per view.
     */
    @Test
    void rendersAreUpsampledTo256ClampedAndSeenAs81TokensPerView() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            // values outside [0, 1] exercise the clamp
            NDArray rgb = renders(m, 3, 64, -0.25f, 1.25f, 11);
            QwenVlReward.VlmReward r = (QwenVlReward.VlmReward) reward.forPrompt("a red car", RewardOptions.defaults());
            QwenVlModel.Output out = r.evaluate(rgb);
            assertEquals(3, out.gridThw().length);
            for (int[] grid : out.gridThw()) {
                assertArrayEquals(new int[] {1, 18, 18}, grid);
            }
            long pads = java.util.Arrays.stream(out.inputIds())
                    .filter(id -> id == reward.model().tokenizer().imagePadId())
                    .count();
            assertEquals(3 * 81, pads);

            NDArray reference = m.create(upsampleAndClamp(rgb.toFloatArray(), 3, 64, 256), new Shape(3, 3, 256, 256));
            NDArray wantPixels =
                    reward.model().processor().processBatch(reference).pixelValues();
            assertEquals(0f, out.pixelValues().sub(wantPixels).abs().max().getFloat(), 2e-5f);

            // renders already at 256² are only clamped
            NDArray big = renders(m, 1, 256, 0f, 1f, 5);
            NDArray bigWant = reward.model()
                    .processor()
                    .processBatch(big.transpose(0, 3, 1, 2))
                    .pixelValues();
            assertEquals(
                    0f, r.evaluate(big).pixelValues().sub(bigWant).abs().max().getFloat(), 0f);
        }
    }

    @Test
    void gradientReachesTheLowResolutionRendersThroughTheResize() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray rgb = renders(m, 2, 64, 0.05f, 0.95f, 3);
            rgb.setRequiresGradient(true);
            Reward r = reward.forPrompt("a red car", RewardOptions.defaults());
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(r.compute(rgb).reward());
            }
            NDArray g = rgb.getGradient();
            assertTrue(
                    g.get(0).abs().sum().getFloat() > 0 && g.get(1).abs().sum().getFloat() > 0);
        }
    }

    /** [b, size, size, 3] uniform in [lo, hi). */
    private static NDArray renders(NDManager m, int b, int size, float lo, float hi, long seed) {
        Random random = new Random(seed);
        float[] v = new float[b * size * size * 3];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * random.nextFloat();
        }
        return m.create(v, new Shape(b, size, size, 3));
    }

    /**
     * torch's F.interpolate(bilinear, align_corners=False) of [b, n, n, 3] renders to [b, 3, out, out], then clamp:
     * written out per pixel from the definition (source = (dst + 0.5)·in/out − 0.5, clamped at 0 below).
     */
    private static float[] upsampleAndClamp(float[] hwc, int b, int n, int out) {
        float[] o = new float[b * 3 * out * out];
        double scale = (double) n / out;
        for (int v = 0; v < b; v++) {
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < out; y++) {
                    double sy = Math.max((y + 0.5) * scale - 0.5, 0);
                    int y0 = (int) sy;
                    int y1 = Math.min(y0 + 1, n - 1);
                    double ly = sy - y0;
                    for (int x = 0; x < out; x++) {
                        double sx = Math.max((x + 0.5) * scale - 0.5, 0);
                        int x0 = (int) sx;
                        int x1 = Math.min(x0 + 1, n - 1);
                        double lx = sx - x0;
                        double top = (1 - lx) * px(hwc, n, v, y0, x0, c) + lx * px(hwc, n, v, y0, x1, c);
                        double bottom = (1 - lx) * px(hwc, n, v, y1, x0, c) + lx * px(hwc, n, v, y1, x1, c);
                        double value = (1 - ly) * top + ly * bottom;
                        o[((v * 3 + c) * out + y) * out + x] = (float) Math.min(1, Math.max(0, value));
                    }
                }
            }
        }
        return o;
    }

    private static double px(float[] hwc, int n, int v, int y, int x, int c) {
        return hwc[((v * n + y) * n + x) * 3 + c];
    }
}
