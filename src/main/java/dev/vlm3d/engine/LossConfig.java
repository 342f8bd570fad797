package dev.vlm3d.engine;

/**
 * Weights of the loss terms: {@code L = λ_guidance·L_guidance − λ_vlm(s)·r + λ_orient(s)·L_orient}.
 *
 * @param lambdaGuidance weight of the guidance (SDS) term (paper: 1)
 * @param lambdaOrient   orientation loss schedule (paper: [0, 10, 1000, 5000])
 * @param lambdaVlm      reward schedule (paper: [0, 300, 1, 10000])
 * @param vlmUntilStep   the reward is evaluated only for steps below this (released code: 10000 of its 20000 steps,
 *                       docs/paper-vs-code.md)
 */
public record LossConfig(double lambdaGuidance, Schedule lambdaOrient, Schedule lambdaVlm, int vlmUntilStep) {

    public static LossConfig paper() {
        return new LossConfig(1.0, new Schedule(0, 10, 1000, 5000), new Schedule(0, 300, 1, 10000), 10000);
    }
}
