package dev.vlm3d.jobs;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodically requeues jobs whose worker stopped renewing its lease. Safe to run on every replica at once:
 * the rescue query skips rows another replica is rescuing.
 */
public class LeaseRescuer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LeaseRescuer.class);

    private final JobQueue queue;
    private final Duration interval;
    private final Runnable afterPass;
    private ScheduledExecutorService scheduler;

    public LeaseRescuer(JobQueue queue, Duration interval) {
        this(queue, interval, () -> {});
    }

    /** @param afterPass maintenance run after each pass (the cleanup of finished jobs' checkpoints) */
    public LeaseRescuer(JobQueue queue, Duration interval, Runnable afterPass) {
        this.queue = queue;
        this.interval = interval;
        this.afterPass = afterPass;
    }

    public synchronized void start() {
        if (scheduler != null) return;
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vlm3d-lease-rescuer");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(
                this::rescueOnce, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One rescue pass; returns what it rescued. */
    public List<RescuedJob> rescueOnce() {
        try {
            List<RescuedJob> rescued = queue.rescueExpiredLeases();
            for (RescuedJob job : rescued) {
                log.warn(
                        "job {} lost its lease (worker {}, {}), now {}",
                        job.id(),
                        job.previousWorker(),
                        job.progressed() ? "after checkpoint progress: not counted" : "no checkpoint progress: counted",
                        job.status());
            }
            afterPass.run();
            return rescued;
        } catch (RuntimeException e) {
            log.warn("lease rescue pass failed: {}", e.toString());
            return List.of();
        }
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }
}
