package dev.vlm3d.jobs;

import java.util.UUID;

/**
 * Thrown when a fenced write finds that the job is no longer running under this worker's attempt: the lease
 * expired and the job was rescued, cancelled, deleted or reclaimed. The worker must stop without writing more.
 */
public class LeaseLostException extends RuntimeException {

    public LeaseLostException(UUID jobId, int attempt) {
        super("lease lost for job " + jobId + " attempt " + attempt);
    }
}
