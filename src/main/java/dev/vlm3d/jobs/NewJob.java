package dev.vlm3d.jobs;

import java.util.Map;
import java.util.UUID;

/**
 * What a submission stores. {@code requestHash} identifies the request body so a replay with the same
 * idempotency key can be told apart from a reuse of the key with a different body. {@code ttlSeconds}: how long the
 * finished job is kept (db/migration/V4__retention.sql), or null for never.
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
        Long ttlSeconds) {

    /** A job kept until it is deleted (no time to live). */
    public NewJob(String prompt, String negativePrompt, long seed, String preset, int totalSteps, int priority,
                  Map<String, Object> options, int maxAttempts, UUID ownerKeyId, String idempotencyKey, byte[] requestHash) {
        this(prompt, negativePrompt, seed, preset, totalSteps, priority, options, maxAttempts, ownerKeyId, idempotencyKey,
                requestHash, null);
    }
}
