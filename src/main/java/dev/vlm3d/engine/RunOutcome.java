package dev.vlm3d.engine;

/** How {@link Vlm3dRun#run} ended. */
public enum RunOutcome {
    /** reached the requested step */
    COMPLETED,
    /** the stop hook said {@link RunHooks.Stop#CANCEL}; the state is consistent and can be checkpointed or exported */
    CANCELLED,
    /** the stop hook said {@link RunHooks.Stop#SUSPEND}; the checkpoint sink received the state at the current step */
    SUSPENDED
}
