package dev.vlm3d.models.qwen25vl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.vlm3d.models.qwen25vl.QwenVlFixtures.FixtureSet;
import org.junit.jupiter.api.Test;

/**
 * The fp16-weights option stays close to fp32 on the fixtures, and its gradients reach the pixels through the fp16
 * casts. Bounds: the manifest's tolerances for full reduced-precision (bf16) compute, which is what this option must
 * at least beat; the gradient must point the same way (cosine from the manifest's gradient check, relaxed to 0.99
 * because fp16 rounding of the weights alone moves gradients by ~1e-3 relative).
 */
class QwenVlFp16WeightsTest {

    @Test
    void fp16WeightsStayWithinReducedPrecisionBoundsOnEveryCase() {
        for (FixtureSet set : QwenVlFixtures.sets()) {
            JsonObject bound = set.tolerances().getAsJsonObject("bf16_compute_informational");
            for (PrecisionError.CaseError e : PrecisionError.measure(set, QwenVlPrecision.FP16_WEIGHTS)) {
                assertTrue(e.logitsMaxAbs() <= bound.get("logits_atol").getAsDouble(), e.toString());
                assertTrue(e.rewardAbs() <= bound.get("reward_atol").getAsDouble(), e.toString());
                assertTrue(e.gradCosine() >= 0.99, "gradient direction: " + e);
            }
        }
    }
}
