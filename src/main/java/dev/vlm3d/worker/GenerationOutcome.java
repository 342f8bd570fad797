package dev.vlm3d.worker;

/** How a generator run ended when it did not throw. */
public enum GenerationOutcome {
    /** Results stored; the job becomes SUCCEEDED. */
    SUCCEEDED,
    /** Stopped because cancellation was requested; the job becomes CANCELLED. */
    CANCELLED,
    /** Stopped for a graceful shutdown after saving a checkpoint; the job is requeued and resumes elsewhere. */
    STOPPED_FOR_SHUTDOWN
}
