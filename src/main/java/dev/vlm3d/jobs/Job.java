package dev.vlm3d.jobs;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** One row of the jobs table. {@code webhookEvents} is null when all events are asked for. */
public record Job(
        UUID id,
        JobStatus status,
        String prompt,
        String negativePrompt,
        long seed,
        String preset,
        Map<String, Object> options,
        int priority,
        UUID ownerKeyId,
        String idempotencyKey,
        int attempt,
        int failures,
        int maxAttempts,
        String workerId,
        Instant leaseExpiresAt,
        Instant heartbeatAt,
        String stage,
        int step,
        int totalSteps,
        double progress,
        Map<String, Object> latestMetrics,
        Integer checkpointStep,
        String errorCode,
        String errorMessage,
        Instant cancelRequestedAt,
        Instant runAt,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        Instant updatedAt,
        Integer resumedFromStep,
        int interruptions,
        String lastInterruptionCode,
        String lastInterruptionMessage,
        Instant lastInterruptionAt,
        String kind,
        List<UUID> dependsOn,
        String webhookUrl,
        List<String> webhookEvents,
        Long ttlSeconds,
        Instant expiresAt) {

    public static final String GENERATION = "generation";
    public static final String EVALUATION = "evaluation";

    public boolean isEvaluation() {
        return EVALUATION.equals(kind);
    }
}
