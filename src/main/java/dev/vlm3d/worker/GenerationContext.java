package dev.vlm3d.worker;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What a running generator may do with its job. Every write is fenced by the worker's lease: once the lease is
 * lost, writes throw {@link dev.vlm3d.jobs.LeaseLostException} (a RuntimeException the generator must let through).
 */
public interface GenerationContext {

    /** The device this worker owns ("cpu", "gpu0", ...). */
    String device();

    /**
     * Records the progress of one step: {@code metrics} such as sds_loss, reward, lambda_vlm, timestep, step_ms
     * become the job's latest metrics and one point of its curves. Also renews the lease.
     */
    void reportStep(int step, int totalSteps, String stage, Map<String, Double> metrics);

    /** Cheap (no database round trip): reflects the latest step report, heartbeat and shutdown state. */
    StopSignal stopRequested();

    /** The latest checkpoint of this job, from this or an earlier attempt on any worker. */
    Optional<Checkpoint> loadCheckpoint();

    void saveCheckpoint(int step, byte[] state);

    void storeArtifact(String name, String contentType, byte[] content);

    void storeArtifact(String name, String contentType, Path file);

    /**
     * A result of another job (an evaluation reads the GLBs of the generation jobs it compares; the API checked at
     * submission that they belong to the same owner), or empty when that job has no such artifact.
     */
    default Optional<byte[]> readArtifact(java.util.UUID jobId, String name) {
        return Optional.empty();
    }
}
