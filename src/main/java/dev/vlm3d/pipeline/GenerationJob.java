package dev.vlm3d.pipeline;

import dev.vlm3d.engine.ExportConfig;
import dev.vlm3d.engine.RunConfig;
import dev.vlm3d.engine.RunHooks;
import dev.vlm3d.engine.RunListener;
import dev.vlm3d.engine.RunOutcome;
import dev.vlm3d.engine.StepMemory;
import dev.vlm3d.engine.StepReport;
import dev.vlm3d.engine.TrainingLock;
import dev.vlm3d.engine.Vlm3dRun;
import dev.vlm3d.engine.export.AssetExporter;
import dev.vlm3d.engine.export.ExportResult;
import dev.vlm3d.engine.export.ExportedArtifact;
import dev.vlm3d.engine.guidance.Guidance;
import dev.vlm3d.engine.guidance.MvDreamGuidanceModel;
import dev.vlm3d.engine.guidance.SdsNoise;
import dev.vlm3d.engine.reward.Reward;
import dev.vlm3d.engine.reward.RewardOptions;
import dev.vlm3d.options.GenerationOptions;
import dev.vlm3d.options.VlmQuestion;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One generation on a worker's {@link PipelineModels}: the job's guidance and reward terms (prompt encoded once), its
 * {@link Vlm3dRun}, and the one sequence the worker adapter ({@link Vlm3dJobGenerator}) and the CLI
 * ({@code cli.GenerateCommand}) both follow: {@link #generate} runs the engine's loop with the caller's hooks, exports
 * and writes {@code run.json}. The engine keeps its own invariants: the JVM-wide {@link TrainingLock} turn of every
 * step and export, step-seeded SDS noise ({@link SdsNoise#stepSeeded}) and the checkpoint cadence. Call every method
 * from the one thread that drives the job.
 */
public final class GenerationJob implements AutoCloseable {

    private final RunConfig config;
    private final String metadata;
    private final Guidance guidance;
    private final Reward reward;
    private final Vlm3dRun run;

    private GenerationJob(RunConfig config, String metadata, Guidance guidance, Reward reward, Vlm3dRun run) {
        this.config = config;
        this.metadata = metadata;
        this.guidance = guidance;
        this.reward = reward;
        this.run = run;
    }

    /**
     * @param negativePrompt null for the guidance's default (MVDream's quality negatives)
     * @throws IllegalArgumentException for a prompt the models refuse (chat control tokens)
     * @throws ModelConfigurationException for a backbone this worker has no folder for
     */
    public static GenerationJob open(
            PipelineModels models, String prompt, String negativePrompt, long seed, GenerationOptions options)
            throws InterruptedException {
        MvDreamGuidanceModel guidanceModel = models.guidance(options.backbone());
        if (guidanceModel == null) {
            throw new ModelConfigurationException("backbone "
                    + options.backbone().wireName() + " is not configured on this worker (set vlm3d.models.sd21-dir)");
        }
        RunConfig config = Presets.runConfig(options, seed);
        String metadata = RunMetadata.json(prompt, negativePrompt, seed, options, models);
        // the prompt encodings run libtorch beside other jobs' steps: in the training turn, like the run's construction
        return TrainingLock.exclusively(() -> {
            Guidance guidance = null;
            Reward reward = null;
            try {
                guidance = guidanceModel
                        .forPrompt(prompt, negativePrompt, SdsNoise.stepSeeded(seed))
                        .withTimestepHorizonScale(Presets.timestepHorizonScale(options));
                if (options.reward()) {
                    reward = models.vlm()
                            .forPrompt(
                                    prompt,
                                    new RewardOptions(
                                            questionTemplate(options.question()),
                                            options.singleView(),
                                            RewardOptions.Form.LOGIT_DIFFERENCE),
                                    0);
                }
                Vlm3dRun run = new Vlm3dRun(config, guidance, reward, models.device());
                return new GenerationJob(config, metadata, guidance, reward, run);
            } catch (RuntimeException | Error e) {
                if (reward != null) {
                    reward.close();
                }
                if (guidance != null) {
                    guidance.close();
                }
                throw e;
            }
        });
    }

    /** The engine's template for the job's question choice. */
    static RewardOptions.QuestionTemplate questionTemplate(VlmQuestion question) {
        return switch (question) {
            case SELECTED -> RewardOptions.QuestionTemplate.SELECTED;
            case A -> RewardOptions.QuestionTemplate.A;
            case B -> RewardOptions.QuestionTemplate.B;
        };
    }

    /** The preset's export configuration. */
    public ExportConfig exportConfig() {
        return config.export();
    }

    /** Steps taken so far (the next step's 0-based index). */
    public int completedSteps() {
        return run.currentStep();
    }

    public int totalSteps() {
        return config.maxSteps();
    }

    /** Continues from a state written to a {@link dev.vlm3d.engine.CheckpointSink} by a run of the same job. */
    public void restore(byte[] state) throws IOException {
        run.restoreCheckpoint(new ByteArrayInputStream(state));
    }

    /** How {@link #generate} ended. */
    public sealed interface Result {}

    /** The hooks stopped the run ({@link RunOutcome#CANCELLED}, or {@link RunOutcome#SUSPENDED} after a checkpoint). */
    public record Stopped(RunOutcome outcome) implements Result {}

    /** Every file written, under its final name: the export's, then {@code run.json}. */
    public record Exported(List<ExportedArtifact> files) implements Result {}

    /** The density has no surface at the export threshold: nothing was written. */
    public record EmptyMesh(String reason) implements Result {}

    /** Writing the files failed (after the run completed; a retry resumes from the run's last checkpoint). */
    public record ExportFailed(Exception cause) implements Result {}

    /**
     * Runs the remaining steps with {@code hooks}, then (once the run completed) hands {@code beforeExport} the last
     * step's report (restored from the checkpoint when the job resumed after its last step), exports
     * what {@code scope} names with {@code export} into {@code directory} and writes {@code run.json} beside it.
     *
     * @throws dev.vlm3d.engine.NonFiniteStepException when the steps diverged (see {@link Vlm3dRun#runUntil})
     */
    public Result generate(
            RunHooks hooks, RunListener beforeExport, Path directory, AssetExporter.Scope scope, ExportConfig export)
            throws InterruptedException {
        RunOutcome outcome = run.run(hooks);
        if (outcome != RunOutcome.COMPLETED) {
            return new Stopped(outcome);
        }
        beforeExport.onStep(run.history().get(run.history().size() - 1));
        try {
            ExportResult result = new AssetExporter(export).export(run, directory, scope);
            if (result instanceof ExportResult.EmptyMesh empty) {
                return new EmptyMesh(empty.reason());
            }
            List<ExportedArtifact> files = new ArrayList<>(((ExportResult.Written) result).files());
            Path json = directory.resolve(RunMetadata.NAME);
            Files.writeString(json, metadata, StandardCharsets.UTF_8);
            files.add(new ExportedArtifact(RunMetadata.NAME, json, "application/json"));
            return new Exported(files);
        } catch (IOException | RuntimeException e) {
            return new ExportFailed(e);
        }
    }

    /** The numbers of one step as the job's metrics and curves record them. */
    public static Map<String, Double> metrics(StepReport r) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("total_loss", r.totalLoss());
        m.put("sds_loss", r.guidanceLoss());
        m.put("reward", r.reward());
        m.put("lambda_vlm", r.lambdaVlm());
        m.put("orientation_loss", r.orientationLoss());
        m.put("lambda_orient", r.lambdaOrient());
        Double t = r.stats().get("guidance.timestep");
        if (t != null) {
            m.put("timestep", t);
        }
        Double g = r.stats().get("guidance.grad_norm");
        if (g != null) {
            m.put("sds_grad_norm", g);
        }
        m.put("resolution", (double) r.resolution());
        m.put("views", (double) r.batchSize());
        m.put("step_ms", r.timing().totalMs());
        m.put("render_ms", r.timing().renderMs());
        m.put("guidance_ms", r.timing().guidanceMs());
        m.put("reward_ms", r.timing().rewardMs());
        m.put("backward_ms", r.timing().backwardMs());
        m.put("optimizer_ms", r.timing().optimizerMs());
        m.put("samples", (double) r.samples());
        Double norm = r.stats().get("grad_norm");
        if (norm != null) {
            m.put("grad_norm", norm);
        }
        if (r.memory().bytes() >= 0) {
            // peak_rss_mb on the CPU, device_used_mb on a GPU (see engine.StepMemory)
            m.put(
                    r.memory().source() == StepMemory.Source.DEVICE_USED ? "device_used_mb" : "peak_rss_mb",
                    r.memory().megabytes());
        }
        m.put("skipped", r.skipped() ? 1.0 : 0.0);
        m.put("skipped_steps", (double) r.skippedSteps());
        return m;
    }

    @Override
    public void close() {
        run.close();
        if (reward != null) {
            reward.close();
        }
        guidance.close();
    }
}
