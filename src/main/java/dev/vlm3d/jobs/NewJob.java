package dev.vlm3d.jobs;

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
        byte[] requestHash) {
}
