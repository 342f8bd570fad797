package dev.vlm3d.worker;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;

/**
 * Test-only generator that behaves like the engine towards the worker: resumes from its checkpoint, reports each
 * step, obeys stop signals (checkpointing on shutdown), stores a GLB and a PNG at the end. A per-call hook lets a
 * test inject failures or pauses.
 */
public class ScriptedGenerator implements JobGenerator {

    /** Called before each step; may throw or block. */
    public interface StepHook {
        void beforeStep(GenerationRequest request, GenerationContext context, int step) throws Exception;
    }

    public record Run(java.util.UUID jobId, int attempt, String device, int startStep, GenerationOutcome outcome) {}

    private final long stepMillis;
    private volatile StepHook hook = (r, c, s) -> {};
    private volatile BiFunction<GenerationRequest, Integer, Exception> failure = (r, attempt) -> null;
    public final List<Run> runs = new CopyOnWriteArrayList<>();

    public ScriptedGenerator(long stepMillis) {
        this.stepMillis = stepMillis;
    }

    public ScriptedGenerator onStep(StepHook hook) {
        this.hook = hook;
        return this;
    }

    /** Returns the exception to throw at the start of an attempt, or null to run normally. */
    public ScriptedGenerator failing(BiFunction<GenerationRequest, Integer, Exception> failure) {
        this.failure = failure;
        return this;
    }

    public static byte[] glbFor(String prompt) {
        return ("glTF-binary:" + prompt).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public GenerationOutcome generate(GenerationRequest request, GenerationContext context) throws Exception {
        Exception toThrow = failure.apply(request, request.attempt());
        if (toThrow != null) {
            runs.add(new Run(request.jobId(), request.attempt(), context.device(), 0, null));
            throw toThrow;
        }
        Optional<Checkpoint> checkpoint = context.loadCheckpoint();
        int start = checkpoint.map(Checkpoint::step).orElse(0);
        if (checkpoint.isPresent()) {
            int stored = ByteBuffer.wrap(checkpoint.get().state()).getInt();
            if (stored != start) throw new IllegalStateException("checkpoint state does not match its step");
        }
        for (int step = start + 1; step <= request.totalSteps(); step++) {
            hook.beforeStep(request, context, step);
            Thread.sleep(stepMillis);
            context.reportStep(
                    step,
                    request.totalSteps(),
                    "generating",
                    Map.of("reward", (double) step, "sds_loss", 1.0 / step, "lambda_vlm", 300.0 - step));
            StopSignal stop = context.stopRequested();
            if (stop == StopSignal.CANCEL || stop == StopSignal.LEASE_LOST) {
                return record(request, context, start, GenerationOutcome.CANCELLED);
            }
            if (stop == StopSignal.SHUTDOWN && step < request.totalSteps()) {
                context.saveCheckpoint(step, ByteBuffer.allocate(4).putInt(step).array());
                return record(request, context, start, GenerationOutcome.STOPPED_FOR_SHUTDOWN);
            }
        }
        context.storeArtifact("model.glb", "model/gltf-binary", glbFor(request.prompt()));
        context.storeArtifact("render_000.png", "image/png", new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        return record(request, context, start, GenerationOutcome.SUCCEEDED);
    }

    private GenerationOutcome record(
            GenerationRequest request, GenerationContext context, int start, GenerationOutcome outcome) {
        runs.add(new Run(request.jobId(), request.attempt(), context.device(), start, outcome));
        return outcome;
    }
}
