package dev.vlm3d.jobs;

/**
 * Outcome of a submission: the stored job, whether it is an earlier job returned for an idempotent replay, and for
 * a new job the QUEUED jobs ahead of it when it was admitted, counted up to {@link JobRepository#EXACT_AHEAD_BOUND}
 * (null for a replay).
 */
public record SubmitResult(Job job, boolean replayed, Integer queuedAhead) {

    public SubmitResult(Job job, boolean replayed) {
        this(job, replayed, null);
    }
}
