package dev.vlm3d.worker;

/** What {@link GenerationContext#stopRequested()} tells a running generator. */
public enum StopSignal {
    NONE,
    /** A client cancelled the job: stop, no checkpoint needed. */
    CANCEL,
    /** The worker is shutting down: save a checkpoint, then stop. */
    SHUTDOWN,
    /** The job is no longer this worker's (lease expired, job deleted): stop at once. */
    LEASE_LOST
}
