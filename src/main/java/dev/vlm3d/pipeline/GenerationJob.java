package dev.vlm3d.pipeline;

import dev.vlm3d.engine.ExportConfig;
import dev.vlm3d.engine.RunConfig;
import dev.vlm3d.engine.RunHooks;
import dev.vlm3d.engine.StepMemory;
import dev.vlm3d.engine.StepReport;
import dev.vlm3d.engine.Vlm3dRun;
import dev.vlm3d.engine.export.AssetExporter;
import dev.vlm3d.engine.export.EmptyMeshException;
import dev.vlm3d.engine.export.ExportedArtifact;
import dev.vlm3d.engine.guidance.Guidance;
import dev.vlm3d.engine.guidance.MvDreamGuidanceModel;
import dev.vlm3d.engine.reward.Reward;
import dev.vlm3d.engine.reward.RewardOptions;
import dev.vlm3d.options.GenerationOptions;
import dev.vlm3d.options.VlmQuestion;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One generation on a worker's {@link PipelineModels}: the job's guidance and reward terms (prompt encoded once) and
 * its {@link Vlm3dRun}, driven one step at a time so the caller can report, checkpoint and stop between steps.
 *
 * <p>libtorch allows one gradient collector per process and torch's random generator is global, so steps of runs
 * that share a JVM (several CPU workers) take turns: every step, and everything else that draws torch randomness,
 * runs under {@link #TRAINING}. A step reseeds the generator from (seed, step), so taking turns keeps each run
 * reproducible. Call every method from the one thread that drives the job.
 */
public final class GenerationJob implements AutoCloseable {

    private static final ReentrantLock TRAINING = new ReentrantLock(true);

    private final GenerationOptions options;
    private final RunConfig config;
    private final Guidance guidance;
    private final Reward reward;
    private final Vlm3dRun run;

    private GenerationJob(GenerationOptions options, RunConfig config, Guidance guidance, Reward reward, Vlm3dRun run) {
        this.options = options;
        this.config = config;
        this.guidance = guidance;
        this.reward = reward;
        this.run = run;
    }

    /**
     * @param negativePrompt null for the guidance's default (MVDream's quality negatives)
     * @throws IllegalArgumentException for a prompt the models refuse (chat control tokens)
     * @throws ModelConfigurationException for a backbone this worker has no folder for
     */
    public static GenerationJob open(PipelineModels models, String prompt, String negativePrompt, long seed,
            GenerationOptions options) throws InterruptedException {
        MvDreamGuidanceModel guidanceModel = models.guidance(options.backbone());
        if (guidanceModel == null) {
            throw new ModelConfigurationException("backbone " + options.backbone().wireName()
                    + " is not configured on this worker (set vlm3d.models.sd21-dir)");
        }
        RunConfig config = Presets.runConfig(options, seed);
        TRAINING.lockInterruptibly();
        Guidance guidance = null;
        Reward reward = null;
        try {
            StepSeededNoise noise = new StepSeededNoise(seed);
            guidance = StepSeededNoise.reseeding(guidanceModel.forPrompt(prompt, negativePrompt, noise)
                    .withTimestepHorizonScale(Presets.timestepHorizonScale(options)), noise);
            if (options.reward()) {
                reward = models.vlm().forPrompt(prompt, new RewardOptions(questionTemplate(options.question()), options.singleView(),
                        RewardOptions.Form.LOGIT_DIFFERENCE), 0);
            }
            Vlm3dRun run = new Vlm3dRun(config, guidance, reward, models.device());
            return new GenerationJob(options, config, guidance, reward, run);
        } catch (RuntimeException | Error e) {
            if (reward != null) {
                reward.close();
            }
            if (guidance != null) {
                guidance.close();
            }
            throw e;
        } finally {
            TRAINING.unlock();
        }
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

    public GenerationOptions options() {
        return options;
    }

    public RunConfig config() {
        return config;
    }

    /** Steps taken so far (the next step's 0-based index). */
    public int completedSteps() {
        return run.currentStep();
    }

    public int totalSteps() {
        return config.maxSteps();
    }

    public boolean finished() {
        return run.currentStep() >= config.maxSteps();
    }

    /** Takes the next step and returns its report. */
    public StepReport step() throws InterruptedException {
        List<StepReport> reports = new ArrayList<>(1);
        TRAINING.lockInterruptibly();
        try {
            run.runUntil(run.currentStep() + 1, RunHooks.listening(reports::add));
        } finally {
            TRAINING.unlock();
        }
        if (reports.isEmpty()) {
            throw new IllegalStateException("the run is already finished at step " + run.currentStep());
        }
        return reports.get(0);
    }

    /** The run's exact state (field, optimizer, occupancy grid, step, history). */
    public byte[] checkpoint() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        run.saveCheckpoint(out);
        return out.toByteArray();
    }

    public void restore(byte[] state) throws IOException {
        run.restoreCheckpoint(new ByteArrayInputStream(state));
    }

    public List<StepReport> history() {
        return run.history();
    }

    /**
     * Writes what {@code scope} names (the service: the mesh as GLB and OBJ, evaluation renders, turntable and
     * curves) into {@code directory}.
     *
     * @throws EmptyMeshException when the density has no surface at the export threshold (checked before the renders)
     */
    public List<ExportedArtifact> export(Path directory, AssetExporter.Scope scope)
            throws IOException, InterruptedException {
        return export(directory, scope, config.export());
    }

    /** The same with another export configuration than the preset's (the CLI's {@code --iso-threshold}). */
    public List<ExportedArtifact> export(Path directory, AssetExporter.Scope scope, ExportConfig export)
            throws IOException, InterruptedException {
        TRAINING.lockInterruptibly();
        try {
            return new AssetExporter(export).export(run, directory, scope);
        } finally {
            TRAINING.unlock();
        }
    }

    /** The service's and the CLI's artifact name of an exported file (flat names: the API has no sub-paths). */
    public static String artifactName(ExportedArtifact artifact) {
        return switch (artifact.name()) {
            case AssetExporter.MESH_GLB -> "model.glb";
            case AssetExporter.MESH_OBJ -> "model.obj";
            default -> artifact.name().replace("renders/", "render_");
        };
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
            m.put(r.memory().source() == StepMemory.Source.DEVICE_USED ? "device_used_mb" : "peak_rss_mb",
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
