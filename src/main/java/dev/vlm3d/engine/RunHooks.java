package dev.vlm3d.engine;

import java.util.function.Supplier;

/**
 * How a caller follows and steers a run: the worker adapter, the CLI and the tests all drive a run through
 * {@link Vlm3dRun#run} with these.
 *
 * @param listener    progress per step
 * @param stop        polled before every step; anything but {@link Stop#CONTINUE} ends the run at that step boundary
 * @param checkpoints receives a checkpoint every {@link RunConfig#checkpointEvery()} steps, and on {@link Stop#SUSPEND}
 */
public record RunHooks(RunListener listener, Supplier<Stop> stop, CheckpointSink checkpoints) {

    /** What the caller wants before the next step. */
    public enum Stop {
        CONTINUE,
        /** stop without a checkpoint ({@link RunOutcome#CANCELLED}) */
        CANCEL,
        /** save a checkpoint, then stop ({@link RunOutcome#SUSPENDED}): the run resumes from it elsewhere */
        SUSPEND
    }

    public static RunHooks none() {
        return new RunHooks(RunListener.NONE, () -> Stop.CONTINUE, CheckpointSink.NONE);
    }

    public static RunHooks listening(RunListener listener) {
        return new RunHooks(listener, () -> Stop.CONTINUE, CheckpointSink.NONE);
    }
}
