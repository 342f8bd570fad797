package dev.vlm3d.jobs;

import java.util.UUID;

/**
 * A worker's claim on one attempt of a job. {@code attempt} is the fencing token: every write a worker makes
 * carries it, and a write whose attempt is no longer the job's current running attempt is rejected.
 */
public record Lease(UUID jobId, int attempt, String workerId) {}
