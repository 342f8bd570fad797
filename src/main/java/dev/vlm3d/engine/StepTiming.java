package dev.vlm3d.engine;

/** Wall-clock milliseconds of the phases of one step. */
public record StepTiming(
        double renderMs, double guidanceMs, double rewardMs, double backwardMs, double optimizerMs, double totalMs) {}
