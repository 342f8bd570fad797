package dev.vlm3d.engine;

import java.util.Map;

/**
 * What happened in one optimizer step, handed to the {@link RunListener} after the update.
 *
 * @param step            0-based step just taken
 * @param maxSteps        steps of the run
 * @param totalLoss       value of the optimized loss
 * @param guidanceLoss    guidance term as reported by the guidance (NaN without guidance)
 * @param reward          reward value (NaN on steps without reward)
 * @param orientationLoss orientation loss before weighting (NaN when not computed)
 * @param lambdaVlm       reward weight used this step (0 when the reward was off)
 * @param lambdaOrient    orientation weight used this step
 * @param resolution      render size this step
 * @param batchSize       views this step
 * @param samples         samples evaluated with gradient
 * @param timing          phase timings
 * @param stats           extra numbers from the guidance ("guidance.*") and reward ("reward.*")
 * @param memory          the step's memory figure (peak RSS on the CPU, device memory in use on a GPU)
 * @param skipped         the update was skipped because the loss or a gradient was not finite
 * @param skippedSteps    skipped steps of the run so far, this one included
 */
public record StepReport(
        int step,
        int maxSteps,
        double totalLoss,
        double guidanceLoss,
        double reward,
        double orientationLoss,
        double lambdaVlm,
        double lambdaOrient,
        int resolution,
        int batchSize,
        long samples,
        StepTiming timing,
        Map<String, Double> stats,
        StepMemory memory,
        boolean skipped,
        int skippedSteps) {}
