package dev.vlm3d.models.qwen25vl;

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

/**
 * Error of a {@link QwenVlPrecision} against the fp32 golden values of a fixture set, on the differentiable path
 * (float images → reward and d reward / d images). For {@link QwenVlPrecision#FP16_WEIGHTS} the fp32 weights are
 * rounded to fp16 on load and the matmuls run in fp16, so this measures both effects together.
 */
public final class PrecisionError {

    /** One case: max |Δ| of the last logits, |Δ reward|, and the gradient's error and cosine vs the fp32 golden. */
    public record CaseError(
            String caseName, double logitsMaxAbs, double rewardAbs, double gradMaxAbsOverMax, double gradCosine) {}

    private PrecisionError() {}

    public static List<CaseError> measure(FixtureSet set, QwenVlPrecision precision) {
        ModelDir fp32 = set.models().stream()
                .filter(d -> d.suffix().isEmpty())
                .findFirst()
                .orElseThrow();
        List<CaseError> out = new ArrayList<>();
        try (QwenVlModel model = QwenVlModel.load(fp32.dir(), set.tokenizerDir(), Device.cpu(), precision)) {
            for (Path caseDir : set.cases()) {
                out.add(measureCase(model, caseDir));
            }
        }
        return out;
    }

    static CaseError measureCase(QwenVlModel model, Path caseDir) {
        JsonObject meta = QwenVlFixtures.readJson(caseDir.resolve("meta.json"));
        int yes = meta.get("yes_token_id").getAsInt();
        int no = meta.get("no_token_id").getAsInt();
        try (SafetensorsCheckpoint expected = SafetensorsCheckpoint.open(caseDir.resolve("expected.safetensors"));
                SafetensorsCheckpoint inputs = SafetensorsCheckpoint.open(caseDir.resolve("inputs.safetensors"));
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            List<NDArray> images = QwenVlGoldenTest.images(inputs, meta, m, DataType.FLOAT32);
            images.forEach(i -> i.setRequiresGradient(true));
            float[] logits;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = model.forward(
                                images,
                                QwenVlFixtures.systemMessage(meta),
                                QwenVlFixtures.userContent(meta),
                                QwenVlFixtures.processor(model, meta))
                        .logitsLast();
                logits = l.toFloatArray();
                QwenVlFixtures.churnDirectMemory();
                gc.backward(l.get(yes).sub(l.get(no)));
            }
            float[] want = expected.loadFloats("logits_last_diffpre");
            double logitErr = 0;
            for (int i = 0; i < want.length; i++) {
                logitErr = Math.max(logitErr, Math.abs(want[i] - logits[i]));
            }
            double rewardErr = Math.abs(expected.loadFloats("reward_diffpre")[0] - (logits[yes] - logits[no]));
            double max = 0;
            double err = 0;
            double dot = 0;
            double nw = 0;
            double ng = 0;
            for (int i = 0; i < images.size(); i++) {
                float[] w = expected.loadFloats("reward_grad_image_" + i);
                float[] g = images.get(i).getGradient().toFloatArray();
                for (int j = 0; j < w.length; j++) {
                    if (!Float.isFinite(g[j])) {
                        return new CaseError(
                                caseDir.getFileName().toString(), logitErr, rewardErr, Double.NaN, Double.NaN);
                    }
                    max = Math.max(max, Math.abs(w[j]));
                    err = Math.max(err, Math.abs(w[j] - g[j]));
                    dot += (double) w[j] * g[j];
                    nw += (double) w[j] * w[j];
                    ng += (double) g[j] * g[j];
                }
            }
            return new CaseError(
                    caseDir.getFileName().toString(), logitErr, rewardErr, err / max, dot / Math.sqrt(nw * ng));
        }
    }
}
