package dev.vlm3d.config;

import dev.vlm3d.jobs.JobNotificationListener;
import dev.vlm3d.jobs.LeaseRescuer;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the NOTIFY listener and the lease rescuer while the application runs. Its phase is below the workers',
 * so it starts before them and stops after them (workers still need notifications while they hand jobs back).
 */
class QueueLifecycle implements SmartLifecycle {

    private final JobNotificationListener listener;
    private final LeaseRescuer rescuer;
    private volatile boolean running;

    QueueLifecycle(JobNotificationListener listener, LeaseRescuer rescuer) {
        this.listener = listener;
        this.rescuer = rescuer;
    }

    @Override
    public void start() {
        listener.start();
        rescuer.start();
        running = true;
    }

    @Override
    public void stop() {
        rescuer.close();
        listener.close();
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
