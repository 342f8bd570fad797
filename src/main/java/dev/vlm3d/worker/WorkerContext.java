package dev.vlm3d.worker;

import dev.vlm3d.artifacts.ArtifactInfo;
import dev.vlm3d.artifacts.ArtifactKind;
import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.jobs.JobQueue;
import dev.vlm3d.jobs.Lease;
import dev.vlm3d.jobs.LeaseLostException;
import dev.vlm3d.jobs.StepUpdate;
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

    WorkerContext(Lease lease, String device, JobQueue queue, ArtifactStore store, WorkerMetrics metrics) {
        this.stallNanos = queue.properties().stallTimeout().toNanos();
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
                log.error("job {} attempt {} made no progress for {}; no longer renewing its lease", lease.jobId(),
                        lease.attempt(), queue.properties().stallTimeout());
            }
            return;
        }
        try {
            if (queue.heartbeat(lease)) cancelRequested = true;
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
        try {
            if (queue.recordStep(lease, new StepUpdate(step, totalSteps, stage, metricsOfStep))) {
                cancelRequested = true;
            }
        } catch (LeaseLostException e) {
            leaseLost = true;
            throw e;
        }
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
        byte[] blob = ByteBuffer.allocate(8 + state.length).putInt(CHECKPOINT_MAGIC).putInt(step).put(state).array();
        try {
            store.put(lease.jobId(), lease.attempt(), ArtifactKind.CHECKPOINT, CHECKPOINT_NAME, "application/octet-stream", blob)
                    .orElseThrow(this::lost);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            queue.recordCheckpoint(lease, step);
        } catch (LeaseLostException e) {
            leaseLost = true;
            throw e;
        }
    }

    @Override
    public void storeArtifact(String name, String contentType, byte[] content) {
        ensureLease();
        lastProgressNanos = System.nanoTime();
        try {
            store.put(lease.jobId(), lease.attempt(), ArtifactKind.OUTPUT, name, contentType, content).orElseThrow(this::lost);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void storeArtifact(String name, String contentType, Path file) {
        ensureLease();
        lastProgressNanos = System.nanoTime();
        try {
            store.put(lease.jobId(), lease.attempt(), ArtifactKind.OUTPUT, name, contentType, file).orElseThrow(this::lost);
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
