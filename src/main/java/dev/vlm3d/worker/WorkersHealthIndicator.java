package dev.vlm3d.worker;

import dev.vlm3d.jobs.JobNotificationListener;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Health of this instance's workers and engine. DOWN only when workers should run and cannot (every one failed);
 * an instance without an engine reports UNKNOWN with {@code engine: ENGINE_UNAVAILABLE}, which leaves the overall
 * status alone (a web-only pod is healthy) but is visible to operators.
 */
class WorkersHealthIndicator implements HealthIndicator {

    private final WorkerPool pool;
    private final JobNotificationListener listener;
    private final Map<String, String> models;

    /** {@code models}: what the generator factory loads ({@link JobGeneratorFactory#models()}), shown as it is. */
    WorkersHealthIndicator(WorkerPool pool, JobNotificationListener listener, Map<String, String> models) {
        this.pool = pool;
        this.listener = listener;
        this.models = models;
    }

    @Override
    public Health health() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("enabled", pool.enabled());
        details.put("notifications", listener.isConnected() ? "listening" : "polling only (reconnecting)");
        details.putAll(models);
        if (!pool.enabled()) {
            return Health.up().withDetails(details).build();
        }
        if (!pool.engineAvailable()) {
            details.put("engine", WorkerPool.ENGINE_UNAVAILABLE);
            return Health.unknown().withDetails(details).build();
        }
        List<JobWorker> workers = pool.workers();
        Map<String, Object> states = new LinkedHashMap<>();
        for (JobWorker w : workers) {
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("device", w.device());
            state.put("state", w.state().name());
            state.put("engine_ready", w.generatorReady());
            if (w.lastError() != null) state.put("last_error", w.lastError());
            states.put(w.id(), state);
        }
        details.put("engine", "available");
        details.put("workers", states);
        boolean allFailed = !workers.isEmpty() && workers.stream().allMatch(w -> w.state() == JobWorker.State.FAILED);
        return (allFailed ? Health.down() : Health.up()).withDetails(details).build();
    }
}
