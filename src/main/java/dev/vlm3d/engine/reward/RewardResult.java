package dev.vlm3d.engine.reward;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * @param reward scalar NDArray whose gradient with respect to the renders is d r / d rgb (the reward itself, or a
 *               surrogate with the same gradient when the implementation crossed a dtype/device boundary)
 * @param value  r as a number, for curves (z_yes − z_no, or p_yes − p_no in probability form)
 * @param stats  extra per-step numbers, e.g. "z_yes", "z_no"
 */
public record RewardResult(NDArray reward, double value, Map<String, Double> stats) {}
