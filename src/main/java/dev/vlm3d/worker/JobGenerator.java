package dev.vlm3d.worker;

/**
 * The narrow door between the job service and the generation engine. One instance per worker (so per device):
 * it loads its models when created and keeps them across jobs, and is closed when the worker stops.
 * <p>
 * Contract for implementations:
 * <ul>
 *   <li>Call {@link GenerationContext#reportStep} once per optimisation step and check
 *       {@link GenerationContext#stopRequested()} at least once per step.</li>
 *   <li>On {@link StopSignal#CANCEL} return {@link GenerationOutcome#CANCELLED}; on {@link StopSignal#SHUTDOWN}
 *       save a checkpoint and return {@link GenerationOutcome#STOPPED_FOR_SHUTDOWN}; on
 *       {@link StopSignal#LEASE_LOST} return at once (anything else it writes would be rejected).</li>
 *   <li>At the start of a run, resume from {@link GenerationContext#loadCheckpoint()} when present.</li>
 *   <li>Store results with {@link GenerationContext#storeArtifact} before returning
 *       {@link GenerationOutcome#SUCCEEDED}.</li>
 *   <li>Signal failures with {@link GenerationException}: transient ones are retried with backoff, permanent ones
 *       fail the job at once. Any other exception counts as transient. Let runtime exceptions thrown by the
 *       context (lost lease) propagate.</li>
 * </ul>
 */
public interface JobGenerator extends AutoCloseable {

    GenerationOutcome generate(GenerationRequest request, GenerationContext context) throws Exception;

    /** False while the generator cannot take jobs (shown in health). */
    default boolean isReady() {
        return true;
    }

    @Override
    default void close() throws Exception {}
}
