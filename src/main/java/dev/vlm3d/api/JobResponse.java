package dev.vlm3d.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A job as clients see it (absent fields are omitted from the JSON). {@code ttlSeconds}: how long the job is kept
 * once finished (absent: until deleted); {@code expiresAt}: when a finished job's artifacts go (README "Retention").
 */
public record JobResponse(
        UUID id,
        String status,
        String stage,
        double progress,
        int step,
        int totalSteps,
        String prompt,
        String negativePrompt,
        long seed,
        String preset,
        Map<String, Object> options,
        int priority,
        int attempt,
        int maxAttempts,
        Integer resumedFromStep,
        int interruptions,
        Interruption lastInterruption,
        Integer queuePosition,
        Long etaSeconds,
        Map<String, Object> metrics,
        Boolean cancelRequested,
        Instant nextAttemptAt,
        JobError error,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        Instant updatedAt,
        Long ttlSeconds,
        Instant expiresAt,
        List<ArtifactResponse> artifacts,
        Map<String, String> links,
        String kind,
        Webhook webhook) {

    /** The job's webhook subscription; {@code events} is absent when every event is sent. */
    public record Webhook(String url, List<String> events) {}

    /** The last error of a job: its final reason when FAILED, or the cause of a pending retry when QUEUED. */
    public record JobError(String code, String message, boolean retrying) {}

    /** Why the latest attempt before the current one ended: a lost lease, a shutdown, or a transient error. */
    public record Interruption(String code, String message, Instant at) {}
}
