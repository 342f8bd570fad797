package dev.vlm3d.pipeline;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch's intra-op thread count. With OpenMP the setting belongs to the calling thread, so call this on the thread
 * that runs the steps (a worker's own thread, the CLI's main thread). One thread avoids OpenMP oversubscription on a
 * CPU shared with other busy processes, where spinning threads slowed steps by an order of magnitude in test runs.
 */
public final class CpuThreads {

    static final String PROPERTY = "ai.djl.pytorch.num_threads";

    private CpuThreads() {}

    /** {@code threads} null or ≤ 0 leaves libtorch's default (one per core). */
    public static void apply(Integer threads) {
        if (threads == null || threads <= 0) {
            return;
        }
        if (System.getProperty(PROPERTY) == null) {
            System.setProperty(PROPERTY, Integer.toString(threads));
        }
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threads);
    }
}
