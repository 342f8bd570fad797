package dev.vlm3d.jobs;

import java.time.Duration;
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
        List<UUID> dependsOn,
        Webhook webhook) {

    public NewJob {
        kind = kind == null ? Job.GENERATION : kind;
        dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
    }

    /**
     * Where the job's webhook events go: {@code events} names the events asked for (null = all), and progress
     * events come at most once per {@code progressInterval}.
     */
    public record Webhook(String url, List<String> events, Duration progressInterval) {
    }

    /** A generation job (the kind POST /jobs submits) without a webhook. */
    public NewJob(String prompt, String negativePrompt, long seed, String preset, int totalSteps, int priority,
            Map<String, Object> options, int maxAttempts, UUID ownerKeyId, String idempotencyKey, byte[] requestHash) {
        this(prompt, negativePrompt, seed, preset, totalSteps, priority, options, maxAttempts, ownerKeyId,
                idempotencyKey, requestHash, Job.GENERATION, List.of(), null);
    }

    /** A generation job with a webhook (null = none). */
    public NewJob(String prompt, String negativePrompt, long seed, String preset, int totalSteps, int priority,
            Map<String, Object> options, int maxAttempts, UUID ownerKeyId, String idempotencyKey, byte[] requestHash,
            Webhook webhook) {
        this(prompt, negativePrompt, seed, preset, totalSteps, priority, options, maxAttempts, ownerKeyId,
                idempotencyKey, requestHash, Job.GENERATION, List.of(), webhook);
    }

    /** A job of {@code kind} that waits for {@code dependsOn}, without a webhook. */
    public NewJob(String prompt, String negativePrompt, long seed, String preset, int totalSteps, int priority,
            Map<String, Object> options, int maxAttempts, UUID ownerKeyId, String idempotencyKey, byte[] requestHash,
            String kind, List<UUID> dependsOn) {
        this(prompt, negativePrompt, seed, preset, totalSteps, priority, options, maxAttempts, ownerKeyId,
                idempotencyKey, requestHash, kind, dependsOn, null);
    }
}
