package dev.vlm3d.worker;

import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.jobs.JobNotificationListener;
import dev.vlm3d.jobs.JobQueue;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the configured workers and stops them gracefully: stop claiming, ask running generators to checkpoint,
 * hand their jobs back (so another worker resumes them), and only after {@code shutdownGrace} interrupt them.
 * <p>
 * Without a {@link JobGeneratorFactory} (no engine in this build or configuration) no worker starts: queued jobs
 * stay QUEUED for a pod that has an engine, and health shows {@code engine: ENGINE_UNAVAILABLE}. Failing them
 * instead would turn a deployment mistake into lost work.
 */
public class WorkerPool implements SmartLifecycle {

    public static final String ENGINE_UNAVAILABLE = "ENGINE_UNAVAILABLE";
    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);

    private final WorkerProperties properties;
    private final JobQueue queue;
    private final ArtifactStore store;
    private final JobGeneratorFactory factory;
    private final WorkerMetrics metrics;
    private final JobNotificationListener notifications;
    private final List<JobWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private ScheduledExecutorService heartbeats;
    private volatile boolean running;

    public WorkerPool(
            WorkerProperties properties,
            JobQueue queue,
            ArtifactStore store,
            JobGeneratorFactory factory,
            WorkerMetrics metrics,
            JobNotificationListener notifications) {
        this.properties = properties;
        this.queue = queue;
        this.store = store;
        this.factory = factory;
        this.metrics = metrics;
        this.notifications = notifications;
    }

    public boolean enabled() {
        return properties.enabled();
    }

    public boolean engineAvailable() {
        return factory != null;
    }

    public List<JobWorker> workers() {
        return List.copyOf(workers);
    }

    @Override
    public synchronized void start() {
        if (running) return;
        running = true;
        if (!properties.enabled() || properties.count() == 0) {
            log.info("workers disabled (vlm3d.worker.enabled=false or count=0): this instance only serves the API");
            return;
        }
        if (factory == null) {
            log.warn(
                    "{}: no JobGeneratorFactory bean, so no worker starts; queued jobs wait for an instance with an engine",
                    ENGINE_UNAVAILABLE);
            return;
        }
        heartbeats = Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "vlm3d-heartbeat");
            t.setDaemon(true);
            return t;
        });
        String host = hostName();
        String instance = UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < properties.count(); i++) {
            String device = properties.devices().get(i % properties.devices().size());
            JobWorker worker =
                    new JobWorker(host + "-" + instance + "-w" + i, device, queue, store, factory, metrics, heartbeats);
            workers.add(worker);
            notifications.onQueued(worker::wake);
            Thread thread = new Thread(worker, "vlm3d-worker-" + i);
            threads.add(thread);
            thread.start();
        }
        log.info("started {} worker(s) on devices {}", workers.size(), properties.devices());
    }

    @Override
    public synchronized void stop() {
        if (!running) return;
        running = false;
        workers.forEach(JobWorker::requestStop);
        long deadline = System.nanoTime() + properties.shutdownGrace().toNanos();
        for (Thread thread : threads) {
            join(thread, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        for (Thread thread : threads) {
            if (thread.isAlive()) {
                log.warn("{} did not stop within {}; interrupting it", thread.getName(), properties.shutdownGrace());
                thread.interrupt();
                join(thread, Duration.ofSeconds(5));
            }
        }
        if (heartbeats != null) heartbeats.shutdownNow();
        threads.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops before the queue's listener and rescuer (lower phases stop later). */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 1024;
    }

    private static void join(Thread thread, Duration timeout) {
        try {
            thread.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) return env;
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }
}
