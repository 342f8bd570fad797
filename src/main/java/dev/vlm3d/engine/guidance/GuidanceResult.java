package dev.vlm3d.engine.guidance;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * @param loss      scalar NDArray whose gradient with respect to the renders is the guidance gradient
 *                  (for SDS a surrogate such as 0.5·‖z − stopgrad(target)‖²/B; its value need not mean anything)
 * @param lossValue the value to report on curves (e.g. the SDS loss as the reference code logs it)
 * @param stats     extra per-step numbers for the record, e.g. "timestep", "grad_norm"
 */
public record GuidanceResult(NDArray loss, double lossValue, Map<String, Double> stats) {}
