package dev.vlm3d.worker;

import java.util.Map;
import java.util.UUID;

/**
 * What to generate. {@code options} holds the run options as submitted (already validated against the API's
 * list of known options), {@code preset} the named preset they refine; {@code attempt} is informational (the
 * fencing is done by the context). {@code kind} is generation or evaluation (then {@code options} holds the
 * evaluation's spec, docs/evaluation.md).
 */
public record GenerationRequest(
        UUID jobId,
        int attempt,
        String prompt,
        String negativePrompt,
        long seed,
        int totalSteps,
        String preset,
        Map<String, Object> options,
        String kind) {

    public GenerationRequest {
        kind = kind == null ? dev.vlm3d.jobs.Job.GENERATION : kind;
    }

    /** A generation request. */
    public GenerationRequest(
            UUID jobId,
            int attempt,
            String prompt,
            String negativePrompt,
            long seed,
            int totalSteps,
            String preset,
            Map<String, Object> options) {
        this(jobId, attempt, prompt, negativePrompt, seed, totalSteps, preset, options, dev.vlm3d.jobs.Job.GENERATION);
    }

    public boolean isEvaluation() {
        return dev.vlm3d.jobs.Job.EVALUATION.equals(kind);
    }
}
