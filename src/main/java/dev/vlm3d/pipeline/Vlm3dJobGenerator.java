package dev.vlm3d.pipeline;

import ai.djl.engine.EngineException;
import dev.vlm3d.engine.NonFiniteStepException;
import dev.vlm3d.engine.RunHooks;
import dev.vlm3d.engine.RunListener;
import dev.vlm3d.engine.RunOutcome;
import dev.vlm3d.engine.export.AssetExporter;
import dev.vlm3d.engine.export.ExportedArtifact;
import dev.vlm3d.options.GenerationOptions;
import dev.vlm3d.options.InvalidOptionException;
import dev.vlm3d.worker.Checkpoint;
import dev.vlm3d.worker.GenerationContext;
import dev.vlm3d.worker.GenerationException;
import dev.vlm3d.worker.GenerationOutcome;
import dev.vlm3d.worker.GenerationRequest;
import dev.vlm3d.worker.JobGenerator;
import dev.vlm3d.worker.StopSignal;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's side of a VLM3D generation: opens the job, resumes from its checkpoint, and drives it through
 * {@link GenerationJob#generate} with hooks that report every step, hand the engine's checkpoints (cadence: the
 * preset's {@code checkpointEvery}, decided in the engine) and the shutdown checkpoint to the job's context, and stop on
 * cancel; then stores the exported files. How the generation ended becomes a {@link GenerationOutcome} or a
 * {@link GenerationException} with its code.
 */
public final class Vlm3dJobGenerator implements JobGenerator {

    private static final Logger log = LoggerFactory.getLogger(Vlm3dJobGenerator.class);

    private final PipelineModels models;

    public Vlm3dJobGenerator(PipelineModels models) {
        this.models = models;
    }

    public PipelineModels models() {
        return models;
    }

    @Override
    public GenerationOutcome generate(GenerationRequest request, GenerationContext context) throws Exception {
        if (request.isEvaluation()) {
            return new EvaluationJobRunner(models).run(request, context);
        }
        GenerationOptions options;
        try {
            options = GenerationOptions.fromStored(request.preset(), request.totalSteps(), request.options());
        } catch (InvalidOptionException e) {
            throw GenerationException.permanentFailure("INVALID_OPTIONS", e.getMessage(), e);
        }
        String stage = models.folders().tiny() ? "optimizing (tiny random models)" : "optimizing";
        Path dir = Files.createTempDirectory("vlm3d-export-" + request.jobId());
        try (GenerationJob job = open(request, options)) {
            Optional<Checkpoint> checkpoint = context.loadCheckpoint();
            if (checkpoint.isPresent()) {
                restore(job, checkpoint.get());
                log.info("job {} resumes from its checkpoint at step {}", request.jobId(), job.completedSteps());
            }
            int total = job.totalSteps();
            RunHooks hooks = new RunHooks(
                    report -> context.reportStep(report.step() + 1, total, stage, GenerationJob.metrics(report)),
                    () -> switch (context.stopRequested()) {
                        case NONE -> RunHooks.Stop.CONTINUE;
                        // a lost lease: the job is someone else's now, stop without further writes
                        case CANCEL, LEASE_LOST -> RunHooks.Stop.CANCEL;
                        case SHUTDOWN -> RunHooks.Stop.SUSPEND;
                    },
                    (step, writer) -> {
                        ByteArrayOutputStream state = new ByteArrayOutputStream();
                        writer.writeTo(state);
                        context.saveCheckpoint(step, state.toByteArray());
                    });
            GenerationJob.Result result = run(
                    job,
                    hooks,
                    last -> context.reportStep(total, total, "exporting", GenerationJob.metrics(last)),
                    dir);
            if (result instanceof GenerationJob.Stopped stopped) {
                return stopped.outcome() == RunOutcome.SUSPENDED
                        ? GenerationOutcome.STOPPED_FOR_SHUTDOWN
                        : context.stopRequested() == StopSignal.LEASE_LOST
                                ? GenerationOutcome.STOPPED_FOR_SHUTDOWN
                                : GenerationOutcome.CANCELLED;
            }
            if (result instanceof GenerationJob.EmptyMesh empty) {
                throw GenerationException.permanentFailure("EMPTY_MESH", empty.reason(), null);
            }
            if (result instanceof GenerationJob.ExportFailed failed) {
                throw GenerationException.transientFailure(
                        "EXPORT_FAILED", "export failed: " + failed.cause().getMessage(), failed.cause());
            }
            for (ExportedArtifact file : ((GenerationJob.Exported) result).files()) {
                context.storeArtifact(file.name(), file.contentType(), file.path());
            }
            return GenerationOutcome.SUCCEEDED;
        } finally {
            deleteRecursively(dir);
        }
    }

    private GenerationJob open(GenerationRequest request, GenerationOptions options) throws Exception {
        try {
            return GenerationJob.open(models, request.prompt(), request.negativePrompt(), request.seed(), options);
        } catch (ModelConfigurationException e) {
            throw GenerationException.permanentFailure("BACKBONE_UNAVAILABLE", e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw GenerationException.permanentFailure("PROMPT_REJECTED", e.getMessage(), e);
        } catch (EngineException e) {
            throw GenerationException.transientFailure("ENGINE_ERROR", e.getMessage(), e);
        }
    }

    private static void restore(GenerationJob job, Checkpoint checkpoint) throws GenerationException {
        try {
            job.restore(checkpoint.state());
        } catch (IOException | RuntimeException e) {
            // a checkpoint of another config (e.g. an older build) cannot be resumed; restarting would hide that
            throw GenerationException.permanentFailure(
                    "CHECKPOINT_UNREADABLE",
                    "cannot resume from the checkpoint at step " + checkpoint.step() + ": " + e.getMessage(),
                    e);
        }
        if (job.completedSteps() != checkpoint.step()) {
            throw GenerationException.permanentFailure(
                    "CHECKPOINT_UNREADABLE",
                    "checkpoint says step " + checkpoint.step() + " but holds step " + job.completedSteps(),
                    null);
        }
    }

    /** The job's steps and export; the engine's failures of a step as the job's error codes. */
    private static GenerationJob.Result run(GenerationJob job, RunHooks hooks, RunListener beforeExport, Path dir)
            throws InterruptedException, GenerationException {
        try {
            return job.generate(hooks, beforeExport, dir, AssetExporter.Scope.ALL, job.exportConfig());
        } catch (NonFiniteStepException e) {
            // the skipped steps left the field at its last good state, so the job's checkpoints stay good too
            throw GenerationException.permanentFailure("NON_FINITE", e.getMessage(), e);
        } catch (EngineException e) {
            // libtorch errors here are allocation failures or device resets: worth another attempt elsewhere
            throw GenerationException.transientFailure(
                    isOutOfMemory(e) ? "OUT_OF_MEMORY" : "ENGINE_ERROR",
                    "step " + job.completedSteps() + ": " + e.getMessage(),
                    e);
        } catch (OutOfMemoryError e) {
            throw GenerationException.transientFailure("OUT_OF_MEMORY", "step " + job.completedSteps() + ": " + e, e);
        }
    }

    private static boolean isOutOfMemory(Throwable e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        return m.contains("out of memory") || m.contains("alloc");
    }

    @Override
    public void close() {
        models.close();
    }

    static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            log.warn("could not delete {}: {}", dir, e.toString());
        }
    }
}
