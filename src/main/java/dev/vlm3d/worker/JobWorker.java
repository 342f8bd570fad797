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

    public enum State {
        STARTING,
        IDLE,
        RUNNING,
        STOPPED,
        FAILED
    }

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

    public JobWorker(
            String workerId,
            String device,
            JobQueue queue,
            ArtifactStore store,
            JobGeneratorFactory factory,
            WorkerMetrics metrics,
            ScheduledExecutorService heartbeats) {
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
                log.error(
                        "worker {} could not create its generator on {}; retrying in {}",
                        workerId,
                        device,
                        GENERATOR_RETRY,
                        e);
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

    /**
     * One attempt: run the generator, turn however it ended into an {@link AttemptEnd}, and record that in one
     * place ({@link #record}).
     */
    private void execute(ClaimedJob claimed) {
        Job job = claimed.job();
        Lease lease = claimed.lease();
        MDC.put("job_id", job.id().toString());
        MDC.put("attempt", Integer.toString(lease.attempt()));
        WorkerContext context = new WorkerContext(lease, device, queue, store, metrics);
        current = context;
        if (stopping) context.requestShutdown();
        long period = queue.properties().heartbeatInterval().toMillis();
        ScheduledFuture<?> heartbeat =
                heartbeats.scheduleWithFixedDelay(context::heartbeat, period, period, TimeUnit.MILLISECONDS);
        long start = System.nanoTime();
        String outcome = "lease_lost";
        try {
            log.info("running job {} attempt {} ({} steps)", job.id(), lease.attempt(), job.totalSteps());
            AttemptEnd end;
            try {
                end = generate(job, context);
            } finally {
                heartbeat.cancel(false);
            }
            outcome = record(context, end);
        } finally {
            current = null;
            metrics.finished(outcome, Duration.ofNanos(System.nanoTime() - start));
            log.info("job {} attempt {} ended: {}", job.id(), lease.attempt(), outcome);
            MDC.remove("job_id");
            MDC.remove("attempt");
        }
    }

    /** How the generator's run of one attempt ended. */
    private sealed interface AttemptEnd {}

    /** The generator returned. */
    private record Returned(GenerationOutcome outcome) implements AttemptEnd {}

    /** The generator failed; {@code retryable} failures are retried with backoff. */
    private record Failed(String code, String message, boolean retryable, Throwable cause) implements AttemptEnd {}

    /** Interrupted: the hard stop after the shutdown grace period. */
    private record Interrupted() implements AttemptEnd {}

    /** A write of the generator found the lease lost. */
    private record LeaseLost() implements AttemptEnd {}

    private AttemptEnd generate(Job job, WorkerContext context) {
        try {
            return new Returned(generator.generate(
                    new GenerationRequest(
                            job.id(),
                            context.lease().attempt(),
                            job.prompt(),
                            job.negativePrompt(),
                            job.seed(),
                            job.totalSteps(),
                            job.preset(),
                            job.options(),
                            job.kind()),
                    context));
        } catch (LeaseLostException e) {
            return new LeaseLost();
        } catch (GenerationException e) {
            return new Failed(e.code(), e.getMessage(), e.retryable(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Interrupted();
        } catch (Exception | Error e) {
            return new Failed("GENERATOR_ERROR", e.toString(), true, e);
        }
    }

    /**
     * Records how the attempt ended, the one place a worker ends a job's attempt: the queue transition, the
     * checkpoint deletion of a finished job, the log line. Returns the outcome label of the metrics.
     */
    private String record(WorkerContext context, AttemptEnd end) {
        Lease lease = context.lease();
        if (end instanceof LeaseLost || context.leaseLost()) {
            log.warn(
                    "job {} attempt {} lost its lease; abandoning without further writes",
                    lease.jobId(),
                    lease.attempt());
            return "lease_lost";
        }
        try {
            if (end instanceof Interrupted) {
                // hand the job back so it resumes from its last checkpoint; no retry loop on an interrupted thread
                return ended(lease, queue.release(lease));
            }
            if (end instanceof Failed f && !f.retryable()) {
                log.error("job {} failed permanently: {} {}", lease.jobId(), f.code(), f.message(), f.cause());
                context.withDatabaseRetry("failure", () -> {
                    queue.failPermanently(lease, f.code(), f.message());
                    return null;
                });
                // a FAILED job's checkpoint is deleted (or kept, per vlm3d.artifacts.retain-failed-checkpoints) by
                // CheckpointCleanup, like that of a job the rescuer fails
                return "failed";
            }
            if (end instanceof Failed f) {
                TransitionResult result =
                        context.withDatabaseRetry("failure", () -> queue.failTransiently(lease, f.code(), f.message()));
                if (result.status() == JobStatus.QUEUED) {
                    log.warn(
                            "job {} attempt {} failed ({}), retrying at {}",
                            lease.jobId(),
                            lease.attempt(),
                            f.code(),
                            result.runAt(),
                            f.cause());
                    return "retried";
                }
                log.error(
                        "job {} failed after its last attempt: {} {}", lease.jobId(), f.code(), f.message(), f.cause());
                return ended(lease, result.status());
            }
            GenerationOutcome outcome = ((Returned) end).outcome();
            return switch (outcome) {
                case SUCCEEDED -> {
                    context.withDatabaseRetry("completion", () -> {
                        queue.complete(lease);
                        return null;
                    });
                    yield ended(lease, JobStatus.SUCCEEDED);
                }
                case CANCELLED -> {
                    context.withDatabaseRetry("cancellation", () -> {
                        queue.markCancelled(lease);
                        return null;
                    });
                    yield ended(lease, JobStatus.CANCELLED);
                }
                case STOPPED_FOR_SHUTDOWN ->
                    ended(lease, context.withDatabaseRetry("release", () -> queue.release(lease)));
            };
        } catch (LeaseLostException e) {
            log.warn("job {} attempt {} lost its lease before recording how it ended", lease.jobId(), lease.attempt());
            return "lease_lost";
        } catch (RuntimeException e) {
            // the database is unreachable: the lease will expire and the rescuer will requeue the job
            log.error(
                    "could not record how job {} attempt {} ended; leaving it to lease expiry",
                    lease.jobId(),
                    lease.attempt(),
                    e);
            return "lease_lost";
        }
    }

    /** The outcome label of the status the attempt left the job in; a finished job's checkpoint goes. */
    private String ended(Lease lease, JobStatus status) {
        return switch (status) {
            case SUCCEEDED -> {
                deleteCheckpoint(lease);
                yield "succeeded";
            }
            case CANCELLED -> {
                deleteCheckpoint(lease);
                yield "cancelled";
            }
            case QUEUED -> "released";
            // FAILED: CheckpointCleanup decides (vlm3d.artifacts.retain-failed-checkpoints)
            default -> "failed";
        };
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
