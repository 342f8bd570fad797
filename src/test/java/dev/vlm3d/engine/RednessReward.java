package dev.vlm3d.engine;

import ai.djl.ndarray.NDArray;
import dev.vlm3d.engine.reward.Reward;
import dev.vlm3d.engine.reward.RewardResult;
import java.util.Map;

/** Analytic differentiable reward for tests: mean over pixels of r − (g + b)/2. */
final class RednessReward implements Reward {

    @Override
    public RewardResult compute(NDArray rgb) {
        NDArray r = rgb.get("..., 0");
        NDArray gb = rgb.get("..., 1").add(rgb.get("..., 2")).mul(0.5f);
        NDArray reward = r.sub(gb).mean();
        return new RewardResult(reward, reward.getFloat(), Map.of());
    }

    @Override
    public void close() {}
}
