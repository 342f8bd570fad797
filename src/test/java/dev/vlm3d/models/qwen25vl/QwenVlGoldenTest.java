package dev.vlm3d.models.qwen25vl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.vlm3d.models.qwen25vl.QwenVlFixtures.FixtureSet;
import dev.vlm3d.models.qwen25vl.QwenVlFixtures.ModelDir;
import dev.vlm3d.weights.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden equivalence with HF transformers for every fixture set, every model folder of a set and every case that
 * folder has expectations for. Tolerances come from each set's manifest.
 */
class QwenVlGoldenTest {

    private static final Map<Path, QwenVlModel> MODELS = new HashMap<>();

    @AfterAll
    static void closeModels() {
        MODELS.values().forEach(QwenVlModel::close);
        MODELS.clear();
    }

    static QwenVlModel model(FixtureSet set, ModelDir dir, QwenVlPrecision precision) {
        Path key = dir.dir().resolve(precision.name());
        return MODELS.computeIfAbsent(
                key, k -> QwenVlModel.load(dir.dir(), set.tokenizerDir(), Device.cpu(), precision));
    }

    @TestFactory
    List<DynamicNode> everySetEveryModelEveryCase() {
        List<FixtureSet> sets = QwenVlFixtures.sets();
        assertFalse(sets.isEmpty(), "no Qwen2.5-VL fixture set found");
        List<DynamicNode> nodes = new ArrayList<>();
        for (FixtureSet set : sets) {
            List<DynamicNode> perSet = new ArrayList<>();
            for (Path caseDir : set.cases()) {
                perSet.add(DynamicTest.dynamicTest(
                        "prompt+preprocess " + caseDir.getFileName(), () -> checkPromptAndPreprocessing(set, caseDir)));
            }
            for (ModelDir model : set.models()) {
                List<DynamicNode> perModel = new ArrayList<>();
                for (Path caseDir : set.cases()) {
                    perModel.add(DynamicTest.dynamicTest(
                            caseDir.getFileName().toString(), () -> checkModel(set, model, caseDir)));
                }
                perSet.add(DynamicContainer.dynamicContainer(
                        model.dir().getFileName().toString(), perModel));
            }
            nodes.add(DynamicContainer.dynamicContainer(set.name(), perSet));
        }
        return nodes;
    }

    /** Token ids, grids, positions and pixels: independent of the model weights, checked once per case. */
    static void checkPromptAndPreprocessing(FixtureSet set, Path caseDir) {
        JsonObject meta = QwenVlFixtures.readJson(caseDir.resolve("meta.json"));
        ModelDir first = set.models().get(0);
        QwenVlModel model = model(set, first, QwenVlPrecision.FP32);
        try (SafetensorsCheckpoint expected = SafetensorsCheckpoint.open(caseDir.resolve("expected.safetensors"));
                SafetensorsCheckpoint inputs = SafetensorsCheckpoint.open(caseDir.resolve("inputs.safetensors"));
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            QwenVlTokenizer tok = model.tokenizer();
            long[] questionIds = tok.encode(QwenVlFixtures.question(meta));
            assertArrayEquals(longs(meta.getAsJsonArray("question_token_ids")), questionIds, "question ids");
            assertEquals(
                    meta.get("prompt_text").getAsString(),
                    tok.renderTemplate(QwenVlFixtures.systemMessage(meta), QwenVlFixtures.userContent(meta)),
                    "rendered chat template");
            assertEquals(
                    meta.get("yes_token_id").getAsLong(),
                    tok.singleTokenId(meta.get("yes_token").getAsString()));
            assertEquals(
                    meta.get("no_token_id").getAsLong(),
                    tok.singleTokenId(meta.get("no_token").getAsString()));

            List<NDArray> images = images(inputs, meta, m, DataType.FLOAT32);
            QwenVlImageProcessor.Processed p =
                    QwenVlFixtures.processor(model, meta).process(images);
            long[] grid = expected.loadLongs("image_grid_thw");
            assertArrayEquals(grid, flatten(p.gridThw()), "image_grid_thw");
            long[] ids = tok.promptIds(
                    QwenVlFixtures.systemMessage(meta),
                    QwenVlFixtures.userContent(meta),
                    p.imageTokens(model.config().vision().spatialMergeSize()));
            assertArrayEquals(expected.loadLongs("input_ids"), ids, "input_ids");
            long[] tokenTypes = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                tokenTypes[i] = ids[i] == tok.imagePadId() ? 1 : 0;
            }
            assertArrayEquals(expected.loadLongs("mm_token_type_ids"), tokenTypes, "mm_token_type_ids");
            long[][] pos = MropePositions.of(
                    ids, tok.imagePadId(), p.gridThw(), model.config().vision().spatialMergeSize());
            assertArrayEquals(expected.loadLongs("position_ids"), flatten(pos), "position_ids");

            float[] pixels = p.pixelValues().toFloatArray();
            assertClose(expected.loadFloats("pixel_values"), pixels, set.atol("pixel_values"), "pixel_values");
            if (expected.contains("pixel_values_diffpre")) {
                assertClose(
                        expected.loadFloats("pixel_values_diffpre"),
                        pixels,
                        set.atol("pixel_values_diffpre"),
                        "pixel_values_diffpre");
            }
            if (expected.contains("debug_vision_window_index")) {
                VisionWindows w = VisionWindows.of(
                        p.gridThw(),
                        model.config().vision().spatialMergeSize(),
                        model.config().vision().windowUnits());
                assertArrayEquals(
                        expected.loadLongs("debug_vision_window_index"), toLongs(w.windowIndex()), "window index");
                assertArrayEquals(
                        expected.loadLongs("debug_vision_cu_window_seqlens"),
                        toLongs(w.cumulativeWindowLengths()),
                        "cu_window_seqlens");
                assertArrayEquals(
                        expected.loadLongs("debug_vision_cu_seqlens"),
                        toLongs(w.cumulativeImageLengths()),
                        "cu_seqlens");
            }
        }
    }

    static void checkModel(FixtureSet set, ModelDir dir, Path caseDir) {
        JsonObject meta = QwenVlFixtures.readJson(caseDir.resolve("meta.json"));
        QwenVlModel model = model(set, dir, QwenVlPrecision.FP32);
        String sfx = dir.suffix();
        int yes = meta.get("yes_token_id").getAsInt();
        int no = meta.get("no_token_id").getAsInt();
        try (SafetensorsCheckpoint expected = SafetensorsCheckpoint.open(caseDir.resolve("expected.safetensors"));
                SafetensorsCheckpoint inputs = SafetensorsCheckpoint.open(caseDir.resolve("inputs.safetensors"));
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            long[] ids = expected.loadLongs("input_ids");
            int[][] grid = grid(expected.loadLongs("image_grid_thw"));
            // 1. the model on HF's own pixel_values isolates the network from the preprocessing
            NDArray hfPixels = expected.load("pixel_values", m, DataType.FLOAT32);
            Map<String, NDArray> trace = new HashMap<>();
            boolean debug = sfx.isEmpty() && expected.contains("debug_vision_patch_embed");
            QwenVlModel.Output out = model.forwardPixels(hfPixels, grid, ids, debug ? trace::put : null);
            checkKey(set, dir, expected, "image_embeds", out.imageEmbeds(), set.atol("image_embeds"));
            float[] logits = out.logitsLast().toFloatArray();
            checkKey(set, dir, expected, "logits_last", logits, set.atol("logits_last"));
            checkKey(set, dir, expected, "reward", new float[] {logits[yes] - logits[no]}, set.atol("reward"));
            for (Map.Entry<String, NDArray> e : trace.entrySet()) {
                String key = "debug_" + e.getKey();
                if (expected.contains(key)) {
                    assertClose(expected.loadFloats(key), e.getValue().toFloatArray(), set.atol("image_embeds"), key);
                }
            }

            // 2. the differentiable path from the float images, with gradients
            if (!dir.has("logits_last_diffpre" + sfx) && !dir.has("reward_grad_image_{i}" + sfx)) {
                return;
            }
            List<NDArray> images = images(inputs, meta, m, DataType.FLOAT32);
            images.forEach(i -> i.setRequiresGradient(true));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                QwenVlModel.Output diff = model.forward(
                        images,
                        QwenVlFixtures.systemMessage(meta),
                        QwenVlFixtures.userContent(meta),
                        QwenVlFixtures.processor(model, meta));
                assertArrayEquals(ids, diff.inputIds(), "input_ids on the differentiable path");
                NDArray reward =
                        diff.logitsLast().get(yes).sub(diff.logitsLast().get(no));
                float[] dl = diff.logitsLast().toFloatArray();
                checkKey(set, dir, expected, "logits_last_diffpre", dl, set.atol("logits_last"));
                checkKey(set, dir, expected, "reward_diffpre", new float[] {reward.getFloat()}, set.atol("reward"));
                QwenVlFixtures.churnDirectMemory();
                gc.backward(reward);
            }
            if (dir.has("reward_grad_image_{i}" + sfx)) {
                JsonObject tol = set.tolerances().getAsJsonObject("reward_grad_image");
                List<float[]> want = new ArrayList<>();
                List<float[]> got = new ArrayList<>();
                double maxExpected = 0;
                for (int i = 0; i < images.size(); i++) {
                    float[] w = expected.loadFloats("reward_grad_image_" + i + sfx);
                    want.add(w);
                    got.add(images.get(i).getGradient().toFloatArray());
                    for (float v : w) {
                        maxExpected = Math.max(maxExpected, Math.abs(v));
                    }
                }
                assertTrue(maxExpected > 0, "expected gradient is zero");
                double maxErr = 0;
                double dot = 0;
                double nw = 0;
                double ng = 0;
                for (int i = 0; i < want.size(); i++) {
                    for (int j = 0; j < want.get(i).length; j++) {
                        double a = want.get(i)[j];
                        double b = got.get(i)[j];
                        maxErr = Math.max(maxErr, Math.abs(a - b));
                        dot += a * b;
                        nw += a * a;
                        ng += b * b;
                    }
                }
                double cosine = dot / Math.sqrt(nw * ng);
                assertTrue(
                        maxErr <= tol.get("rtol_of_max").getAsDouble() * maxExpected,
                        "gradient max error " + maxErr + " vs max |g| " + maxExpected);
                assertTrue(cosine >= tol.get("min_cosine").getAsDouble(), "gradient cosine " + cosine);
            }
        }
    }

    private static void checkKey(
            FixtureSet set, ModelDir dir, SafetensorsCheckpoint expected, String base, NDArray value, double atol) {
        checkKey(set, dir, expected, base, value.toFloatArray(), atol);
    }

    private static void checkKey(
            FixtureSet set, ModelDir dir, SafetensorsCheckpoint expected, String base, float[] value, double atol) {
        String key = base + dir.suffix();
        if (dir.has(key) && expected.contains(key)) {
            assertClose(
                    expected.loadFloats(key),
                    value,
                    atol,
                    key + " (" + dir.dir().getFileName() + ")");
        }
    }

    static List<NDArray> images(SafetensorsCheckpoint inputs, JsonObject meta, NDManager m, DataType type) {
        List<NDArray> out = new ArrayList<>();
        for (JsonElement e : meta.getAsJsonArray("images")) {
            NDArray a = inputs.load(e.getAsJsonObject().get("name").getAsString(), m, DataType.FLOAT32);
            out.add(type == DataType.FLOAT32 ? a : a.toType(type, false));
        }
        return out;
    }

    static void assertClose(float[] expected, float[] actual, double atol, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        double max = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (!(d <= max)) {
                max = d;
                at = i;
            }
        }
        assertTrue(max <= atol, what + ": max |Δ| " + max + " at " + at + " > " + atol);
    }

    static int[][] grid(long[] flat) {
        int[][] g = new int[flat.length / 3][3];
        for (int i = 0; i < g.length; i++) {
            for (int j = 0; j < 3; j++) {
                g[i][j] = (int) flat[3 * i + j];
            }
        }
        return g;
    }

    static long[] flatten(int[][] a) {
        List<Long> out = new ArrayList<>();
        for (int[] r : a) {
            for (int v : r) {
                out.add((long) v);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    static long[] flatten(long[][] a) {
        int n = 0;
        for (long[] r : a) {
            n += r.length;
        }
        long[] out = new long[n];
        int k = 0;
        for (long[] r : a) {
            System.arraycopy(r, 0, out, k, r.length);
            k += r.length;
        }
        return out;
    }

    static long[] toLongs(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    static long[] longs(com.google.gson.JsonArray a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsLong();
        }
        return out;
    }
}
