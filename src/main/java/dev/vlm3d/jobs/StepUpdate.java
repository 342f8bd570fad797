package dev.vlm3d.jobs;

import java.util.Map;

/** A step's progress as a worker reports it. */
public record StepUpdate(int step, int totalSteps, String stage, Map<String, Double> metrics) {

    public double progressPercent() {
        if (totalSteps <= 0) return 0;
        return Math.max(0, Math.min(100, 100.0 * step / totalSteps));
    }
}
