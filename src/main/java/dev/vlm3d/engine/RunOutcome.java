package dev.vlm3d.engine;

/** How {@link Vlm3dRun#run} ended. */
public enum RunOutcome {
    /** reached the requested step */
    COMPLETED,
    /** the cancel hook said stop; the state is consistent and can be checkpointed or exported */
    CANCELLED
}
