package dev.vlm3d.config;

import dev.vlm3d.artifacts.ExpirySweep;
import org.springframework.context.SmartLifecycle;

/** Runs the expiry sweep while the application runs, on every replica (the sweep coordinates through the database). */
class RetentionLifecycle implements SmartLifecycle {

    private final ExpirySweep sweep;
    private volatile boolean running;

    RetentionLifecycle(ExpirySweep sweep) {
        this.sweep = sweep;
    }

    @Override
    public void start() {
        sweep.start();
        running = true;
    }

    @Override
    public void stop() {
        sweep.close();
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 2048;
    }
}
