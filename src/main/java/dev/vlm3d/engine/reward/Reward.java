package dev.vlm3d.engine.reward;

import ai.djl.ndarray.NDArray;

/** The reward term of one job. */
public interface Reward extends AutoCloseable {

    /**
     * @param rgb renders [B, H, W, 3] in [0, 1], float32, part of the autograd graph
     * @return the reward; its {@code reward} array carries the gradient back to {@code rgb}
     */
    RewardResult compute(NDArray rgb);

    @Override
    void close();
}
