package dev.vlm3d.jobs;

import java.util.UUID;

/**
 * A job whose lease had expired, the status the rescuer gave it, and whether the lost attempt had moved the
 * checkpoint (then it did not count against max_attempts).
 */
public record RescuedJob(UUID id, String previousWorker, JobStatus status, boolean progressed) {}
