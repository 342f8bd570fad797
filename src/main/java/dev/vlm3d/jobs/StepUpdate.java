package dev.vlm3d.jobs;

import java.util.Map;

/**
 * A step's progress as a worker reports it. Non-finite metric values are dropped: JSON has no NaN, and a diverged
 * loss is the generator's to turn into a failure, not the queue's to store.
 */
public record StepUpdate(int step, int totalSteps, String stage, Map<String, Double> metrics) {

    public StepUpdate {
        Map<String, Double> finite = new java.util.TreeMap<>();
        if (metrics != null) {
            metrics.forEach((name, value) -> {
                if (name != null && value != null && Double.isFinite(value)) finite.put(name, value);
            });
        }
        metrics = java.util.Collections.unmodifiableMap(finite);
        if (stage == null || stage.isBlank()) stage = "generating";
    }

    public double progressPercent() {
        if (totalSteps <= 0) return 0;
        return Math.max(0, Math.min(100, 100.0 * step / totalSteps));
    }
}
