package dev.vlm3d.jobs;

import java.time.Duration;
import java.util.List;
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
        String kind,
        List<UUID> dependsOn,
        Webhook webhook,
        Long ttlSeconds) {

    public NewJob {
        kind = kind == null ? Job.GENERATION : kind;
        dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
    }

    /**
     * Where the job's webhook events go: {@code events} names the events asked for (null = all), and progress
     * events come at most once per {@code progressInterval}.
     */
    public record Webhook(String url, List<String> events, Duration progressInterval) {}

    /** A generation job (the kind POST /jobs submits) without a webhook, kept until deleted (no time to live). */
    public NewJob(
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
        this(
                prompt,
                negativePrompt,
                seed,
                preset,
                totalSteps,
                priority,
                options,
                maxAttempts,
                ownerKeyId,
                idempotencyKey,
                requestHash,
                Job.GENERATION,
                List.of(),
                null,
                null);
    }

    /** A generation job with a webhook (null = none) and a time to live in seconds (null = none). */
    public NewJob(
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
            Webhook webhook,
            Long ttlSeconds) {
        this(
                prompt,
                negativePrompt,
                seed,
                preset,
                totalSteps,
                priority,
                options,
                maxAttempts,
                ownerKeyId,
                idempotencyKey,
                requestHash,
                Job.GENERATION,
                List.of(),
                webhook,
                ttlSeconds);
    }
}
