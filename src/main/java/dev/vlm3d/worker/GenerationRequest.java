package dev.vlm3d.worker;

import java.util.Map;
import java.util.UUID;

/**
 * What to generate. {@code options} holds the run options as submitted (already validated against the API's
 * list of known options), {@code preset} the named preset they refine; {@code attempt} is informational (the
 * fencing is done by the context).
 */
public record GenerationRequest(
        UUID jobId,
        int attempt,
        String prompt,
        String negativePrompt,
        long seed,
        int totalSteps,
        String preset,
        Map<String, Object> options) {
}
