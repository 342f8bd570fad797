package dev.vlm3d.jobs;

import java.util.UUID;

/** A job whose lease had expired, and the status the rescuer gave it. */
public record RescuedJob(UUID id, String previousWorker, JobStatus status) {
}
