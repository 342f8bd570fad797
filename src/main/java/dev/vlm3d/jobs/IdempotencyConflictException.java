package dev.vlm3d.jobs;

import java.util.UUID;

/** The idempotency key was already used by this owner for a request with a different body. */
public class IdempotencyConflictException extends RuntimeException {

    private final UUID existingJobId;

    public IdempotencyConflictException(UUID existingJobId) {
        super("Idempotency-Key already used for a different request (job " + existingJobId + ")");
        this.existingJobId = existingJobId;
    }

    public UUID existingJobId() {
        return existingJobId;
    }
}
