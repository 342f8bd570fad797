package dev.vlm3d.worker;

import dev.vlm3d.artifacts.ArtifactKind;
import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.jobs.ClaimedJob;
import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobQueue;
import dev.vlm3d.jobs.JobStatus;
import dev.vlm3d.jobs.Lease;
import dev.vlm3d.jobs.LeaseLostException;
import dev.vlm3d.jobs.TransitionResult;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One worker: owns one device and one generator (models loaded once, kept across jobs), and runs one job at a
 * time: claim, run with a heartbeat, then record the outcome. Idle, it sleeps until a NOTIFY wakes it or the poll
 * interval passes.
 */
public class JobWorker implements Runnable {

    public enum State { STARTING, IDLE, RUNNING, STOPPED, FAILED }

    private static final Logger log = LoggerFactory.getLogger(JobWorker.class);
    private static final Duration GENERATOR_RETRY = Duration.ofSeconds(30);

    private final String workerId;
    private final String device;
    private final JobQueue queue;
    private final ArtifactStore store;
    private final JobGeneratorFactory factory;
    private final WorkerMetrics metrics;
    private final ScheduledExecutorService heartbeats;
    private final Object wakeLock = new Object();
    private boolean wakeSignalled;
    private volatile boolean stopping;
    private volatile State state = State.STARTING;
    private volatile WorkerContext current;
    private volatile String lastError;
    private volatile JobGenerator generator;

    public JobWorker(String workerId, String device, JobQueue queue, ArtifactStore store, JobGeneratorFactory factory,
                     WorkerMetrics metrics, ScheduledExecutorService heartbeats) {
        this.workerId = workerId;
        this.device = device;
        this.queue = queue;
        this.store = store;
        this.factory = factory;
        this.metrics = metrics;
        this.heartbeats = heartbeats;
    }

    public String id() {
        return workerId;
    }

    public String device() {
        return device;
    }

    public State state() {
        return state;
    }

    public String lastError() {
        return lastError;
    }

    public boolean generatorReady() {
        JobGenerator g = generator;
        return g != null && g.isReady();
    }

    /** Wakes the worker if it is waiting for work. */
    public void wake() {
        synchronized (wakeLock) {
            wakeSignalled = true;
            wakeLock.notifyAll();
        }
    }

    /** Stop claiming; a running generator is asked to checkpoint and hand its job back. */
    public void requestStop() {
        stopping = true;
        WorkerContext running = current;
        if (running != null) running.requestShutdown();
        wake();
    }

    @Override
    public void run() {
        MDC.put("worker_id", workerId);
        try {
            if (!createGenerator()) return;
            state = State.IDLE;
            while (!stopping) {
                Optional<ClaimedJob> claimed = claimNext();
                if (claimed.isEmpty()) {
                    awaitWork(queue.properties().pollInterval());
                    continue;
                }
                state = State.RUNNING;
                execute(claimed.get());
                state = State.IDLE;
            }
        } finally {
            closeGenerator();
            state = State.STOPPED;
            MDC.remove("worker_id");
        }
    }

    private boolean createGenerator() {
        while (!stopping) {
            try {
                generator = factory.create(device);
                log.info("worker {} ready on device {}", workerId, device);
                return true;
            } catch (Exception e) {
                state = State.FAILED;
                lastError = e.toString();
                log.error("worker {} could not create its generator on {}; retrying in {}", workerId, device, GENERATOR_RETRY, e);
                awaitWork(GENERATOR_RETRY);
            }
        }
        return false;
    }

    private Optional<ClaimedJob> claimNext() {
        if (!generator.isReady()) return Optional.empty();
        long start = System.nanoTime();
        try {
            return queue.claim(workerId);
        } catch (RuntimeException e) {
            lastError = e.toString();
            log.warn("worker {} could not claim: {}", workerId, e.toString());
            return Optional.empty();
        } finally {
            metrics.claim(Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private void awaitWork(Duration timeout) {
        synchronized (wakeLock) {
            if (!wakeSignalled && !stopping) {
                try {
                    wakeLock.wait(Math.max(1, timeout.toMillis()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopping = true;
                }
            }
            wakeSignalled = false;
        }
    }

    private void execute(ClaimedJob claimed) {
        Job job = claimed.job();
        Lease lease = claimed.lease();
        MDC.put("job_id", job.id().toString());
        MDC.put("attempt", Integer.toString(lease.attempt()));
        WorkerContext context = new WorkerContext(lease, device, queue, store, metrics);
        current = context;
        if (stopping) context.requestShutdown();
        long period = queue.properties().heartbeatInterval().toMillis();
        ScheduledFuture<?> heartbeat = heartbeats.scheduleWithFixedDelay(context::heartbeat, period, period, TimeUnit.MILLISECONDS);
        long start = System.nanoTime();
        String outcome = "lease_lost";
        try {
            log.info("running job {} attempt {} ({} steps)", job.id(), lease.attempt(), job.totalSteps());
            GenerationOutcome result = generator.generate(new GenerationRequest(job.id(), lease.attempt(), job.prompt(),
                    job.negativePrompt(), job.seed(), job.totalSteps(), job.preset(), job.options(), job.kind()), context);
            heartbeat.cancel(false);
            outcome = finish(context, result);
        } catch (LeaseLostException e) {
            log.warn("job {} attempt {} lost its lease; abandoning without further writes", job.id(), lease.attempt());
        } catch (GenerationException e) {
            heartbeat.cancel(false);
            outcome = fail(context, e.code(), e.getMessage(), e.retryable(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            heartbeat.cancel(false);
            // hard stop after the shutdown grace period: hand the job back so it resumes from its last checkpoint
            outcome = releaseQuietly(context);
        } catch (Exception | Error e) {
            heartbeat.cancel(false);
            outcome = fail(context, "GENERATOR_ERROR", e.toString(), true, e);
        } finally {
            heartbeat.cancel(false);
            current = null;
            metrics.finished(outcome, Duration.ofNanos(System.nanoTime() - start));
            log.info("job {} attempt {} ended: {}", job.id(), lease.attempt(), outcome);
            MDC.remove("job_id");
            MDC.remove("attempt");
        }
    }

    private String finish(WorkerContext context, GenerationOutcome result) {
        Lease lease = context.lease();
        if (context.leaseLost()) return "lease_lost";
        try {
            switch (result) {
                case SUCCEEDED -> {
                    context.withDatabaseRetry("completion", () -> {
                        queue.complete(lease);
                        return null;
                    });
                    deleteCheckpoint(lease);
                    return "succeeded";
                }
                case CANCELLED -> {
                    context.withDatabaseRetry("cancellation", () -> {
                        queue.markCancelled(lease);
                        return null;
                    });
                    deleteCheckpoint(lease);
                    return "cancelled";
                }
                case STOPPED_FOR_SHUTDOWN -> {
                    if (context.withDatabaseRetry("release", () -> queue.release(lease)) == JobStatus.CANCELLED) {
                        deleteCheckpoint(lease);
                        return "cancelled";
                    }
                    return "released";
                }
                default -> throw new IllegalStateException("unknown outcome " + result);
            }
        } catch (LeaseLostException e) {
            log.warn("job {} attempt {} lost its lease before recording {}", lease.jobId(), lease.attempt(), result);
            return "lease_lost";
        }
    }

    private String fail(WorkerContext context, String code, String message, boolean retryable, Throwable cause) {
        Lease lease = context.lease();
        try {
            if (!retryable) {
                log.error("job {} failed permanently: {} {}", lease.jobId(), code, message, cause);
                context.withDatabaseRetry("failure", () -> {
                    queue.failPermanently(lease, code, message);
                    return null;
                });
                // a FAILED job's checkpoint is deleted (or kept, per vlm3d.artifacts.retain-failed-checkpoints) by
                // CheckpointCleanup, like that of a job the rescuer fails
                return "failed";
            }
            TransitionResult result = context.withDatabaseRetry("failure", () -> queue.failTransiently(lease, code, message));
            if (result.status() == JobStatus.QUEUED) {
                log.warn("job {} attempt {} failed ({}), retrying at {}", lease.jobId(), lease.attempt(), code, result.runAt(), cause);
                return "retried";
            }
            log.error("job {} failed after its last attempt: {} {}", lease.jobId(), code, message, cause);
            if (result.status() == JobStatus.CANCELLED) deleteCheckpoint(lease);
            return result.status() == JobStatus.CANCELLED ? "cancelled" : "failed";
        } catch (LeaseLostException e) {
            return "lease_lost";
        } catch (RuntimeException e) {
            // the database is unreachable: the lease will expire and the rescuer will requeue the job
            log.error("could not record the failure of job {}; leaving it to lease expiry", lease.jobId(), e);
            return "lease_lost";
        }
    }

    private String releaseQuietly(WorkerContext context) {
        try {
            return queue.release(context.lease()) == JobStatus.CANCELLED ? "cancelled" : "released";
        } catch (RuntimeException e) {
            return "lease_lost";
        }
    }

    private void deleteCheckpoint(Lease lease) {
        try {
            store.delete(lease.jobId(), ArtifactKind.CHECKPOINT, WorkerContext.CHECKPOINT_NAME);
        } catch (Exception e) {
            log.warn("could not delete the checkpoint of finished job {}: {}", lease.jobId(), e.toString());
        }
    }

    private void closeGenerator() {
        JobGenerator g = generator;
        generator = null;
        if (g == null) return;
        try {
            g.close();
        } catch (Exception e) {
            log.warn("closing the generator of worker {} failed", workerId, e);
        }
    }
}
