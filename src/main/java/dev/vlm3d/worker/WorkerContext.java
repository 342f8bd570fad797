package dev.vlm3d.worker;

import dev.vlm3d.artifacts.ArtifactInfo;
import dev.vlm3d.artifacts.ArtifactKind;
import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.jobs.JobQueue;
import dev.vlm3d.jobs.Lease;
import dev.vlm3d.jobs.LeaseLostException;
import dev.vlm3d.jobs.StepUpdate;
import dev.vlm3d.jobs.TransientDatabaseErrors;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;

/** The {@link GenerationContext} of one job attempt, bound to its lease. */
final class WorkerContext implements GenerationContext {

    static final String CHECKPOINT_NAME = "state";
    private static final Logger log = LoggerFactory.getLogger(WorkerContext.class);
    /** Checkpoint blobs start with this tag and the step, so the step can never disagree with the bytes. */
    private static final int CHECKPOINT_MAGIC = 0x564B5031; // "VKP1"

    private final Lease lease;
    private final String device;
    private final JobQueue queue;
    private final ArtifactStore store;
    private final WorkerMetrics metrics;
    private volatile boolean cancelRequested;
    private volatile boolean shutdownRequested;
    private volatile boolean leaseLost;
    private long lastStepNanos = System.nanoTime();
    private volatile long lastProgressNanos = System.nanoTime();
    private final long stallNanos;
    private volatile boolean stallReported;
    /** Until when the lease is surely still ours: the last successful renewal plus the lease duration (local clock). */
    private volatile long leaseHeldUntilNanos;

    private final long leaseNanos;
    private final long safetyNanos;

    WorkerContext(Lease lease, String device, JobQueue queue, ArtifactStore store, WorkerMetrics metrics) {
        this.stallNanos = queue.properties().stallTimeout().toNanos();
        this.leaseNanos = queue.properties().leaseDuration().toNanos();
        // stop retrying a heartbeat interval before the lease would lapse: past that point the rescuer may have
        // given the job to another worker, and this attempt must end rather than write
        this.safetyNanos = queue.properties().heartbeatInterval().toNanos();
        this.leaseHeldUntilNanos = System.nanoTime() + leaseNanos;
        this.lease = lease;
        this.device = device;
        this.queue = queue;
        this.store = store;
        this.metrics = metrics;
    }

    Lease lease() {
        return lease;
    }

    boolean leaseLost() {
        return leaseLost;
    }

    void requestShutdown() {
        shutdownRequested = true;
    }

    /** Renews the lease; run by the worker's heartbeat timer independently of step reports. */
    void heartbeat() {
        if (leaseLost) return;
        if (System.nanoTime() - lastProgressNanos > stallNanos) {
            // let the lease lapse so the rescuer requeues the job; the generator's next write is rejected
            if (!stallReported) {
                stallReported = true;
                log.error(
                        "job {} attempt {} made no progress for {}; no longer renewing its lease",
                        lease.jobId(),
                        lease.attempt(),
                        queue.properties().stallTimeout());
            }
            return;
        }
        try {
            long sent = System.nanoTime();
            if (queue.heartbeat(lease)) cancelRequested = true;
            leaseRenewed(sent);
        } catch (LeaseLostException e) {
            leaseLost = true;
            log.warn("heartbeat found the lease lost for job {} attempt {}", lease.jobId(), lease.attempt());
        } catch (DataAccessException e) {
            // a transient database outage: the lease still has time left; the next heartbeat retries
            log.warn("heartbeat for job {} failed: {}", lease.jobId(), e.toString());
        }
    }

    @Override
    public String device() {
        return device;
    }

    @Override
    public void reportStep(int step, int totalSteps, String stage, Map<String, Double> metricsOfStep) {
        ensureLease();
        long now = System.nanoTime();
        metrics.step(Duration.ofNanos(now - lastStepNanos));
        lastStepNanos = now;
        lastProgressNanos = now;
        Double reward = metricsOfStep == null ? null : metricsOfStep.get("reward");
        if (reward != null) metrics.reward(reward);
        StepUpdate update = new StepUpdate(step, totalSteps, stage, metricsOfStep);
        long sent = System.nanoTime();
        if (withDatabaseRetry("step " + step, () -> queue.recordStep(lease, update))) {
            cancelRequested = true;
        }
        leaseRenewed(sent);
    }

    private void leaseRenewed(long sentNanos) {
        long until = sentNanos + leaseNanos;
        if (until - leaseHeldUntilNanos > 0) leaseHeldUntilNanos = until;
    }

    /**
     * Runs a database write of this attempt, retrying transient database errors (a reset connection, a
     * PostgreSQL restart) with exponential backoff for as long as the lease is surely still held. The attempt goes
     * on as if nothing happened; only when the lease may have lapsed does it end, as a lost lease (which costs the
     * job nothing once it has checkpointed, see {@code JobQueue.rescueExpiredLeases}).
     */
    <T> T withDatabaseRetry(String what, java.util.function.Supplier<T> write) {
        long backoffMillis = 50;
        int failures = 0;
        while (true) {
            try {
                T result = write.get();
                if (failures > 0)
                    log.info(
                            "job {} attempt {}: {} written after {} database retries",
                            lease.jobId(),
                            lease.attempt(),
                            what,
                            failures);
                return result;
            } catch (LeaseLostException e) {
                leaseLost = true;
                throw e;
            } catch (RuntimeException e) {
                if (!TransientDatabaseErrors.isTransient(e)) throw e;
                failures++;
                long left = leaseHeldUntilNanos - safetyNanos - System.nanoTime();
                if (left <= 0) {
                    log.warn(
                            "job {} attempt {}: {} still failing ({}) and the lease may have lapsed: ending the attempt",
                            lease.jobId(),
                            lease.attempt(),
                            what,
                            e.toString());
                    leaseLost = true;
                    throw new LeaseLostException(lease.jobId(), lease.attempt());
                }
                log.warn(
                        "job {} attempt {}: {} failed ({}); retrying in {} ms",
                        lease.jobId(),
                        lease.attempt(),
                        what,
                        e.toString(),
                        Math.min(backoffMillis, left / 1_000_000));
                try {
                    Thread.sleep(Math.max(1, Math.min(backoffMillis, left / 1_000_000)));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoffMillis = Math.min(backoffMillis * 2, 2_000);
            }
        }
    }

    private void withDatabaseRetry(String what, Runnable write) {
        withDatabaseRetry(what, () -> {
            write.run();
            return null;
        });
    }

    @Override
    public StopSignal stopRequested() {
        if (leaseLost) return StopSignal.LEASE_LOST;
        if (cancelRequested) return StopSignal.CANCEL;
        if (shutdownRequested) return StopSignal.SHUTDOWN;
        return StopSignal.NONE;
    }

    @Override
    public Optional<Checkpoint> loadCheckpoint() {
        Optional<Checkpoint> checkpoint = withDatabaseRetry("checkpoint read", this::readCheckpoint);
        // the job view says where this attempt really starts from; the first attempt starts at 0 anyway
        if (lease.attempt() > 1 || checkpoint.isPresent()) {
            int from = checkpoint.map(Checkpoint::step).orElse(0);
            withDatabaseRetry("resume point", () -> queue.recordResume(lease, from));
        }
        return checkpoint;
    }

    private Optional<Checkpoint> readCheckpoint() {
        Optional<ArtifactInfo> info = store.find(lease.jobId(), ArtifactKind.CHECKPOINT, CHECKPOINT_NAME);
        if (info.isEmpty()) return Optional.empty();
        try (InputStream in = store.open(info.get(), 0, info.get().sizeBytes())) {
            byte[] blob = in.readAllBytes();
            ByteBuffer header = ByteBuffer.wrap(blob, 0, Math.min(blob.length, 8));
            if (blob.length < 8 || header.getInt() != CHECKPOINT_MAGIC) {
                log.warn("ignoring unreadable checkpoint of job {}", lease.jobId());
                return Optional.empty();
            }
            int step = header.getInt();
            return Optional.of(new Checkpoint(step, Arrays.copyOfRange(blob, 8, blob.length)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void saveCheckpoint(int step, byte[] state) {
        ensureLease();
        lastProgressNanos = System.nanoTime();
        byte[] blob = ByteBuffer.allocate(8 + state.length)
                .putInt(CHECKPOINT_MAGIC)
                .putInt(step)
                .put(state)
                .array();
        withDatabaseRetry(
                "checkpoint " + step,
                () -> put(ArtifactKind.CHECKPOINT, CHECKPOINT_NAME, "application/octet-stream", blob));
        withDatabaseRetry("checkpoint step " + step, () -> queue.recordCheckpoint(lease, step));
    }

    private void put(ArtifactKind kind, String name, String contentType, byte[] content) {
        try {
            store.put(lease.jobId(), lease.attempt(), kind, name, contentType, content)
                    .orElseThrow(this::lost);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void storeArtifact(String name, String contentType, byte[] content) {
        ensureLease();
        lastProgressNanos = System.nanoTime();
        withDatabaseRetry("artifact " + name, () -> put(ArtifactKind.OUTPUT, name, contentType, content));
    }

    @Override
    public void storeArtifact(String name, String contentType, Path file) {
        ensureLease();
        lastProgressNanos = System.nanoTime();
        withDatabaseRetry("artifact " + name, () -> {
            try {
                store.put(lease.jobId(), lease.attempt(), ArtifactKind.OUTPUT, name, contentType, file)
                        .orElseThrow(this::lost);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Override
    public Optional<byte[]> readArtifact(java.util.UUID jobId, String name) {
        Optional<ArtifactInfo> info = store.find(jobId, ArtifactKind.OUTPUT, name);
        if (info.isEmpty()) {
            return Optional.empty();
        }
        try (java.io.InputStream in = store.open(info.get(), 0, info.get().sizeBytes())) {
            return Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void ensureLease() {
        if (leaseLost) throw new LeaseLostException(lease.jobId(), lease.attempt());
    }

    private LeaseLostException lost() {
        leaseLost = true;
        return new LeaseLostException(lease.jobId(), lease.attempt());
    }
}
