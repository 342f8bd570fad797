package dev.vlm3d.engine;

import java.util.function.BooleanSupplier;

/**
 * How a caller follows and steers a run.
 *
 * @param listener   progress per step
 * @param cancelled  polled before every step; when true the run stops at that step boundary
 * @param checkpoints receives a checkpoint every {@link RunConfig#checkpointEvery()} steps
 */
public record RunHooks(RunListener listener, BooleanSupplier cancelled, CheckpointSink checkpoints) {

    public static RunHooks none() {
        return new RunHooks(RunListener.NONE, () -> false, CheckpointSink.NONE);
    }

    public static RunHooks listening(RunListener listener) {
        return new RunHooks(listener, () -> false, CheckpointSink.NONE);
    }
}
