package dev.vlm3d.jobs;

import java.time.Instant;

/** Where a job ended up after a worker-side transition (e.g. a transient failure may requeue or fail it). */
public record TransitionResult(JobStatus status, Instant runAt) {}
