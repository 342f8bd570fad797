package dev.vlm3d.jobs;

/** Outcome of a submission: the stored job, and whether it is an earlier job returned for an idempotent replay. */
public record SubmitResult(Job job, boolean replayed) {
}
