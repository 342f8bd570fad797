package dev.vlm3d.jobs;

/**
 * Job lifecycle, named as clients of text-to-3D APIs know it (Meshy/Replicate style).
 * A job waiting for a retry after a transient failure is QUEUED with a future run_at, so clients see one
 * "waiting" state whatever the reason for the wait. EXPIRED is a finished job whose retention ran out: its
 * artifacts are gone, its metadata is kept (dev.vlm3d.artifacts.ExpirySweep).
 */
public enum JobStatus {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    EXPIRED;

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED || this == EXPIRED;
    }
}
