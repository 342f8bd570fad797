package dev.vlm3d.jobs;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code vlm3d.jobs.queue.depth{status=…}}: job counts by status, refreshed in the background so a scrape never
 * waits on the database (and a burst of scrapes costs one query).
 */
class QueueDepthMetrics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QueueDepthMetrics.class);

    private final JobRepository jobs;
    private final Map<JobStatus, AtomicLong> counts = new EnumMap<>(JobStatus.class);
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vlm3d-queue-metrics");
        t.setDaemon(true);
        return t;
    });

    QueueDepthMetrics(JobRepository jobs, MeterRegistry registry, long refreshSeconds) {
        this.jobs = jobs;
        for (JobStatus status : JobStatus.values()) {
            AtomicLong value = new AtomicLong();
            counts.put(status, value);
            Gauge.builder("vlm3d.jobs.queue.depth", value, AtomicLong::get)
                    .description("Jobs by status")
                    .tag("status", status.name())
                    .register(registry);
        }
        scheduler.scheduleWithFixedDelay(this::refresh, 0, refreshSeconds, TimeUnit.SECONDS);
    }

    void refresh() {
        try {
            jobs.countByStatus().forEach((status, n) -> counts.get(status).set(n));
        } catch (RuntimeException e) {
            log.debug("queue depth refresh failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
