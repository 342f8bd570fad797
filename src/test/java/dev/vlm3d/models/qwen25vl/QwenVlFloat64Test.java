package dev.vlm3d.models.qwen25vl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import dev.vlm3d.models.qwen25vl.QwenVlFixtures.FixtureSet;
import dev.vlm3d.models.qwen25vl.QwenVlFixtures.ModelDir;
import dev.vlm3d.weights.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Float64 mode: the float64 golden values of the bundled set (an independent float64 port in the generator) and a
 * central finite-difference check of d reward / d pixels.
 */
class QwenVlFloat64Test {

    private static FixtureSet set;
    private static QwenVlModel model;

    @BeforeAll
    static void load() {
        set = QwenVlFixtures.sets().get(0);
        ModelDir fp32 = set.models().stream()
                .filter(d -> d.suffix().isEmpty())
                .findFirst()
                .orElseThrow();
        model = QwenVlModel.load(fp32.dir(), set.tokenizerDir(), Device.cpu(), QwenVlPrecision.FP64);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static double reward(NDArray logits, JsonObject meta) {
        double[] l = logits.toDoubleArray();
        return l[meta.get("yes_token_id").getAsInt()]
                - l[meta.get("no_token_id").getAsInt()];
    }

    @Test
    void matchesTheFloat64ReferenceOnEveryCase() {
        JsonObject f64 = set.tolerances().getAsJsonObject("f64");
        for (Path caseDir : set.cases()) {
            JsonObject meta = QwenVlFixtures.readJson(caseDir.resolve("meta.json"));
            try (SafetensorsCheckpoint expected = SafetensorsCheckpoint.open(caseDir.resolve("expected.safetensors"));
                    SafetensorsCheckpoint inputs = SafetensorsCheckpoint.open(caseDir.resolve("inputs.safetensors"));
                    NDManager m = NDManager.newBaseManager(Device.cpu())) {
                if (!expected.contains("logits_last_f64")) {
                    continue;
                }
                NDArray pixels =
                        expected.load("pixel_values", m, DataType.FLOAT32).toType(DataType.FLOAT64, false);
                QwenVlModel.Output out = model.forwardPixels(
                        pixels,
                        QwenVlGoldenTest.grid(expected.loadLongs("image_grid_thw")),
                        expected.loadLongs("input_ids"),
                        null);
                assertClose(
                        doubles(expected, "logits_last_f64", m),
                        out.logitsLast().toDoubleArray(),
                        f64.get("logits_atol").getAsDouble(),
                        caseDir.getFileName() + " logits_last_f64");
                assertEquals(
                        doubles(expected, "reward_f64", m)[0],
                        reward(out.logitsLast(), meta),
                        f64.get("reward_atol").getAsDouble(),
                        caseDir.getFileName() + " reward_f64");

                List<NDArray> images = QwenVlGoldenTest.images(inputs, meta, m, DataType.FLOAT64);
                boolean withGrad = expected.contains("reward_grad_image_0_f64");
                images.forEach(i -> i.setRequiresGradient(withGrad));
                try (GradientCollector gc = withGrad ? Engine.getInstance().newGradientCollector() : null) {
                    QwenVlModel.Output diff = model.forward(
                            images,
                            QwenVlFixtures.systemMessage(meta),
                            QwenVlFixtures.userContent(meta),
                            QwenVlFixtures.processor(model, meta));
                    assertClose(
                            doubles(expected, "logits_last_diffpre_f64", m),
                            diff.logitsLast().toDoubleArray(),
                            f64.get("logits_atol").getAsDouble(),
                            caseDir.getFileName() + " logits_last_diffpre_f64");
                    if (withGrad) {
                        QwenVlFixtures.churnDirectMemory();
                        NDArray logits = diff.logitsLast();
                        gc.backward(logits.get(meta.get("yes_token_id").getAsLong())
                                .sub(logits.get(meta.get("no_token_id").getAsLong())));
                    }
                }
                if (withGrad) {
                    double max = 0;
                    double err = 0;
                    for (int i = 0; i < images.size(); i++) {
                        double[] want = doubles(expected, "reward_grad_image_" + i + "_f64", m);
                        double[] got = images.get(i).getGradient().toDoubleArray();
                        for (int j = 0; j < want.length; j++) {
                            max = Math.max(max, Math.abs(want[j]));
                            err = Math.max(err, Math.abs(want[j] - got[j]));
                        }
                    }
                    assertTrue(
                            err <= f64.get("grad_rtol_of_max").getAsDouble() * max,
                            caseDir.getFileName() + " float64 gradient error " + err + " vs max " + max);
                }
            }
        }
    }

    @Test
    void gradientMatchesCentralFiniteDifferences() {
        Path caseDir = set.cases().get(0);
        JsonObject meta = QwenVlFixtures.readJson(caseDir.resolve("meta.json"));
        String system = QwenVlFixtures.systemMessage(meta);
        List<QwenVlTokenizer.Content> question = QwenVlFixtures.userContent(meta);
        QwenVlImageProcessor processor = QwenVlFixtures.processor(model, meta);
        try (SafetensorsCheckpoint inputs = SafetensorsCheckpoint.open(caseDir.resolve("inputs.safetensors"));
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            List<NDArray> images = QwenVlGoldenTest.images(inputs, meta, m, DataType.FLOAT64);
            images.forEach(i -> i.setRequiresGradient(true));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits =
                        model.forward(images, system, question, processor).logitsLast();
                gc.backward(logits.get(meta.get("yes_token_id").getAsLong())
                        .sub(logits.get(meta.get("no_token_id").getAsLong())));
            }
            double[][] pixels = new double[images.size()][];
            double[][] grads = new double[images.size()][];
            for (int i = 0; i < images.size(); i++) {
                pixels[i] = images.get(i).toDoubleArray();
                grads[i] = images.get(i).getGradient().toDoubleArray();
            }
            // the largest-gradient pixel of each image plus random ones
            Random random = new Random(7);
            List<int[]> probes = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                int best = 0;
                for (int j = 1; j < grads[i].length; j++) {
                    if (Math.abs(grads[i][j]) > Math.abs(grads[i][best])) {
                        best = j;
                    }
                }
                probes.add(new int[] {i, best});
                probes.add(new int[] {i, random.nextInt(grads[i].length)});
                probes.add(new int[] {i, random.nextInt(grads[i].length)});
            }
            double eps = 1e-4;
            double maxAbsGrad = 0;
            for (double[] g : grads) {
                for (double v : g) {
                    maxAbsGrad = Math.max(maxAbsGrad, Math.abs(v));
                }
            }
            for (int[] p : probes) {
                double plus = rewardWithPixel(m, images, pixels, p, eps, system, question, meta);
                double minus = rewardWithPixel(m, images, pixels, p, -eps, system, question, meta);
                double fd = (plus - minus) / (2 * eps);
                double ad = grads[p[0]][p[1]];
                // central differences in float64: truncation O(eps²·f''') and rounding O(1e-16/eps), both far below
                // 1e-6 of the gradient scale for this smooth network
                assertEquals(fd, ad, 1e-6 * maxAbsGrad, "pixel " + p[1] + " of image " + p[0]);
            }
        }
    }

    private static double rewardWithPixel(
            NDManager m,
            List<NDArray> images,
            double[][] pixels,
            int[] probe,
            double delta,
            String system,
            List<QwenVlTokenizer.Content> question,
            JsonObject meta) {
        try (NDManager sub = m.newSubManager()) {
            List<NDArray> shifted = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                double[] copy = pixels[i].clone();
                if (i == probe[0]) {
                    copy[probe[1]] += delta;
                }
                shifted.add(sub.create(copy, images.get(i).getShape()));
            }
            return reward(
                    model.forward(shifted, system, question, QwenVlFixtures.processor(model, meta))
                            .logitsLast(),
                    meta);
        }
    }

    private static double[] doubles(SafetensorsCheckpoint ckpt, String name, NDManager m) {
        return ckpt.load(name, m, DataType.FLOAT64).toDoubleArray();
    }

    private static void assertClose(double[] want, double[] got, double atol, String what) {
        assertEquals(want.length, got.length, what);
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(want[i] - got[i]));
        }
        assertTrue(max <= atol, what + ": max |Δ| " + max + " > " + atol);
    }
}
