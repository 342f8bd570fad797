package dev.vlm3d.pipeline;

import dev.vlm3d.options.GenerationOptions;
import dev.vlm3d.options.InvalidOptionException;
import ai.djl.engine.EngineException;
import dev.vlm3d.engine.NonFiniteStepException;
import dev.vlm3d.engine.StepReport;
import dev.vlm3d.engine.export.AssetExporter;
import dev.vlm3d.engine.export.EmptyMeshException;
import dev.vlm3d.engine.export.ExportedArtifact;
import dev.vlm3d.worker.Checkpoint;
import dev.vlm3d.worker.GenerationContext;
import dev.vlm3d.worker.GenerationException;
import dev.vlm3d.worker.GenerationOutcome;
import dev.vlm3d.worker.GenerationRequest;
import dev.vlm3d.worker.JobGenerator;
import dev.vlm3d.worker.StopSignal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's side of a VLM3D generation: resumes from the job's checkpoint, reports every step, checkpoints every
 * {@code checkpointEvery} steps of the preset and on shutdown, stops on cancel, and stores the exported assets.
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
        try (GenerationJob job = open(request, options)) {
            Optional<Checkpoint> checkpoint = context.loadCheckpoint();
            if (checkpoint.isPresent()) {
                restore(job, checkpoint.get());
                log.info("job {} resumes from its checkpoint at step {}", request.jobId(), job.completedSteps());
            }
            int every = job.config().checkpointEvery();
            while (!job.finished()) {
                StopSignal signal = context.stopRequested();
                if (signal == StopSignal.CANCEL) {
                    return GenerationOutcome.CANCELLED;
                }
                if (signal == StopSignal.SHUTDOWN) {
                    context.saveCheckpoint(job.completedSteps(), job.checkpoint());
                    return GenerationOutcome.STOPPED_FOR_SHUTDOWN;
                }
                if (signal == StopSignal.LEASE_LOST) {
                    // the job is someone else's now: no further writes
                    return GenerationOutcome.STOPPED_FOR_SHUTDOWN;
                }
                StepReport report = step(job);
                context.reportStep(report.step() + 1, job.totalSteps(), stage, GenerationJob.metrics(report));
                if (every > 0 && job.completedSteps() % every == 0 && !job.finished()) {
                    context.saveCheckpoint(job.completedSteps(), job.checkpoint());
                }
            }
            context.reportStep(job.totalSteps(), job.totalSteps(), "exporting",
                    GenerationJob.metrics(job.history().get(job.history().size() - 1)));
            storeArtifacts(job, request, context);
            return GenerationOutcome.SUCCEEDED;
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
            throw GenerationException.permanentFailure("CHECKPOINT_UNREADABLE",
                    "cannot resume from the checkpoint at step " + checkpoint.step() + ": " + e.getMessage(), e);
        }
        if (job.completedSteps() != checkpoint.step()) {
            throw GenerationException.permanentFailure("CHECKPOINT_UNREADABLE", "checkpoint says step "
                    + checkpoint.step() + " but holds step " + job.completedSteps(), null);
        }
    }

    private static StepReport step(GenerationJob job) throws InterruptedException, GenerationException {
        try {
            return job.step();
        } catch (NonFiniteStepException e) {
            // the skipped steps left the field at its last good state, so the job's checkpoints stay good too
            throw GenerationException.permanentFailure("NON_FINITE", e.getMessage(), e);
        } catch (EngineException e) {
            // libtorch errors here are allocation failures or device resets: worth another attempt elsewhere
            throw GenerationException.transientFailure(isOutOfMemory(e) ? "OUT_OF_MEMORY" : "ENGINE_ERROR",
                    "step " + job.completedSteps() + ": " + e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw GenerationException.transientFailure("OUT_OF_MEMORY", "step " + job.completedSteps() + ": " + e, e);
        }
    }

    private static boolean isOutOfMemory(Throwable e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        return m.contains("out of memory") || m.contains("alloc");
    }

    private void storeArtifacts(GenerationJob job, GenerationRequest request, GenerationContext context)
            throws Exception {
        Path dir = Files.createTempDirectory("vlm3d-export-" + request.jobId());
        try {
            List<ExportedArtifact> files;
            try {
                files = job.export(dir, AssetExporter.Scope.ALL);
            } catch (EmptyMeshException e) {
                throw GenerationException.permanentFailure("EMPTY_MESH", e.getMessage(), e);
            } catch (IOException | RuntimeException e) {
                throw GenerationException.transientFailure("EXPORT_FAILED", "export failed: " + e.getMessage(), e);
            }
            for (ExportedArtifact file : files) {
                context.storeArtifact(GenerationJob.artifactName(file), file.contentType(), file.path());
            }
            context.storeArtifact(RunMetadata.NAME, "application/json", RunMetadata.json(request.prompt(),
                    request.negativePrompt(), request.seed(), job.options(), models).getBytes(
                            java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            deleteRecursively(dir);
        }
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
