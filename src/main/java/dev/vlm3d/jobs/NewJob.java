package dev.vlm3d.jobs;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What a submission stores. {@code requestHash} identifies the request body so a replay with the same
 * idempotency key can be told apart from a reuse of the key with a different body.
 */
public record NewJob(
        String prompt,
        String negativePrompt,
        long seed,
        String preset,
        int totalSteps,
        int priority,
        Map<String, Object> options,
        int maxAttempts,
        UUID ownerKeyId,
        String idempotencyKey,
        byte[] requestHash,
        String kind,
        List<UUID> dependsOn) {

    public NewJob {
        kind = kind == null ? Job.GENERATION : kind;
        dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
    }

    /** A generation job (the kind POST /jobs submits). */
    public NewJob(String prompt, String negativePrompt, long seed, String preset, int totalSteps, int priority,
            Map<String, Object> options, int maxAttempts, UUID ownerKeyId, String idempotencyKey, byte[] requestHash) {
        this(prompt, negativePrompt, seed, preset, totalSteps, priority, options, maxAttempts, ownerKeyId,
                idempotencyKey, requestHash, Job.GENERATION, List.of());
    }
}
