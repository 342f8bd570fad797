package dev.vlm3d.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.vlm3d.engine.field.EnvironmentBackground;
import dev.vlm3d.engine.field.NerfField;
import dev.vlm3d.engine.field.Parameter;
import dev.vlm3d.engine.field.ParameterGroup;
import dev.vlm3d.engine.guidance.Guidance;
import dev.vlm3d.engine.guidance.GuidanceInput;
import dev.vlm3d.engine.guidance.GuidanceResult;
import dev.vlm3d.engine.render.CameraBatch;
import dev.vlm3d.engine.render.CameraSampler;
import dev.vlm3d.engine.render.OccupancyGrid;
import dev.vlm3d.engine.render.RenderConfig;
import dev.vlm3d.engine.render.RenderOptions;
import dev.vlm3d.engine.render.RenderOutput;
import dev.vlm3d.engine.render.ShadingMode;
import dev.vlm3d.engine.render.VolumeRenderer;
import dev.vlm3d.engine.reward.Reward;
import dev.vlm3d.engine.reward.RewardResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import dev.vlm3d.nn.Scalars;

/**
 * One VLM3D optimization: a NeRF field and background optimized with AdamW against a guidance term (SDS) and a
 * reward term (VLM), {@code L = λ_g·L_guidance − λ_vlm(s)·r + λ_orient(s)·L_orient}.
 *
 * <p>Threading: all calls must come from one thread (DJL grad mode is per thread; only one GradientCollector may be
 * open per JVM, and a step holds it). Randomness: every draw of step s derives from (seed, s) — cameras, shading and
 * background coins from a {@link SplittableRandom}, torch draws (ray jitter, occupancy jitter, and whatever the
 * guidance samples) from {@code Engine.setRandomSeed} reseeded per step — so a resumed run replays the exact same
 * steps without saving generator state. Memory: parameters, moments and the occupancy grid live in the run's manager;
 * everything of a step lives in an NDScope closed at the end of the step.
 *
 * <p>{@code guidance} or {@code reward} may be null (reward-only or guidance-only runs).
 */
public final class Vlm3dRun implements AutoCloseable {

    private final RunConfig config;
    private final Guidance guidance;
    private final Reward reward;
    private final NDManager manager;
    private final NerfField field;
    private final EnvironmentBackground background;
    private final OccupancyGrid grid;
    private final VolumeRenderer renderer;
    private final CameraSampler cameras;
    private final AdamW optimizer;
    private final List<Parameter> parameters;
    private final List<StepReport> history = new ArrayList<>();
    private int step;

    public Vlm3dRun(RunConfig config, Guidance guidance, Reward reward, Device device) {
        this.config = config;
        this.guidance = guidance;
        this.reward = reward;
        this.manager = NDManager.newBaseManager(device);
        Engine.getInstance().setRandomSeed(seedFor(config.seed(), -1));
        this.field = new NerfField(config.field(), manager, DataType.FLOAT32);
        this.background = new EnvironmentBackground(config.field(), manager, DataType.FLOAT32);
        this.grid = new OccupancyGrid(config.render(), manager);
        this.renderer = new VolumeRenderer(config.render());
        this.cameras = new CameraSampler(config.camera());
        List<Parameter> all = new ArrayList<>(field.parameters());
        all.addAll(background.parameters());
        this.parameters = List.copyOf(all);
        this.optimizer = new AdamW(parameters, config.optimizer(), manager);
    }

    /** Run until {@link RunConfig#maxSteps()}. */
    public RunOutcome run(RunHooks hooks) {
        return runUntil(config.maxSteps(), hooks);
    }

    /** Run steps {@code step() .. endStep−1}; returns early when the cancel hook fires. */
    public RunOutcome runUntil(int endStep, RunHooks hooks) {
        int end = Math.min(endStep, config.maxSteps());
        while (step < end) {
            if (hooks.cancelled().getAsBoolean()) {
                return RunOutcome.CANCELLED;
            }
            StepReport report = step();
            history.add(report);
            hooks.listener().onStep(report);
            if (config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0) {
                try {
                    hooks.checkpoints().save(step, this::saveCheckpoint);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("checkpoint at step " + step + " failed", e);
                }
            }
        }
        return RunOutcome.COMPLETED;
    }

    private StepReport step() {
        int s = step;
        long t0 = System.nanoTime();
        SplittableRandom rng = new SplittableRandom(seedFor(config.seed(), s));
        Engine.getInstance().setRandomSeed(seedFor(config.seed(), s));
        if (s % config.render().occupancyEvery() == 0) {
            grid.update(field, s, config.seed());
        }
        CameraBatch batch = cameras.sample(rng, s);
        RenderOptions options = trainingOptions(rng, s);
        double lambdaOrient = config.loss().lambdaOrient().at(s);
        boolean rewardOn = reward != null && s < config.loss().vlmUntilStep();
        double lambdaVlm = rewardOn ? config.loss().lambdaVlm().at(s) : 0.0;
        rewardOn &= lambdaVlm != 0.0;

        Map<String, Double> stats = new LinkedHashMap<>();
        double guidanceValue = Double.NaN;
        double rewardValue = Double.NaN;
        double orientValue = Double.NaN;
        double total;
        long samples;
        long t1;
        long t2;
        long t3;
        long t4;
        try (NDScope scope = new NDScope();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray[] rays = batch.rays(manager, DataType.FLOAT32);
            RenderOutput out = renderer.render(field, background, grid, rays[0], rays[1], rays[2],
                    new int[] {batch.size(), batch.height(), batch.width()}, options);
            samples = out.samples();
            t1 = System.nanoTime();
            NDArray loss = null;
            if (guidance != null) {
                GuidanceResult g = guidance.compute(new GuidanceInput(out.rgb(), batch.c2w(manager),
                        batch.elevations(), batch.azimuths(), batch.distances(), s, config.maxSteps()));
                guidanceValue = g.lossValue();
                g.stats().forEach((k, v) -> stats.put("guidance." + k, v));
                loss = g.loss().mul(Scalars.like(g.loss(), config.loss().lambdaGuidance()));
            }
            t2 = System.nanoTime();
            if (rewardOn) {
                RewardResult r = reward.compute(out.rgb());
                rewardValue = r.value();
                r.stats().forEach((k, v) -> stats.put("reward." + k, v));
                NDArray term = r.reward().mul(Scalars.like(r.reward(), -lambdaVlm));
                loss = loss == null ? term : loss.add(term);
            }
            t3 = System.nanoTime();
            if (out.orientationLoss() != null && lambdaOrient != 0.0) {
                orientValue = out.orientationLoss().toType(DataType.FLOAT32, false).getFloat();
                NDArray term = out.orientationLoss().mul(Scalars.like(out.orientationLoss(), lambdaOrient));
                loss = loss == null ? term : loss.add(term);
            }
            if (loss == null) {
                throw new IllegalStateException("no loss term is active at step " + s);
            }
            total = loss.toType(DataType.FLOAT32, false).getFloat();
            collector.backward(loss);
            t4 = System.nanoTime();
            Set<ParameterGroup> inactive = options.solidBackground() != null
                    ? EnumSet.of(ParameterGroup.BACKGROUND) : EnumSet.noneOf(ParameterGroup.class);
            // in-place updates of leaves must not be recorded
            JniUtils.setGradMode(false);
            try {
                optimizer.step(inactive);
            } finally {
                JniUtils.setGradMode(true);
            }
        }
        long t5 = System.nanoTime();
        step = s + 1;
        StepTiming timing = new StepTiming(ms(t1 - t0), ms(t2 - t1), ms(t3 - t2), ms(t4 - t3), ms(t5 - t4),
                ms(t5 - t0));
        return new StepReport(s, config.maxSteps(), total, guidanceValue, rewardValue, orientValue, lambdaVlm,
                lambdaOrient, batch.height(), batch.size(), samples, timing, Collections.unmodifiableMap(stats));
    }

    private RenderOptions trainingOptions(SplittableRandom rng, int s) {
        RenderConfig rc = config.render();
        ShadingMode mode = ShadingMode.ALBEDO;
        float ratio = 0f;
        // coins are drawn every step, used or not, so that the random stream does not depend on the phase
        double modeCoin = rng.nextDouble();
        double texturelessCoin = rng.nextDouble();
        double softRatio = rng.nextDouble();
        if (s >= rc.ambientOnlySteps()) {
            if (modeCoin >= rc.albedoProb()) {
                mode = texturelessCoin < rc.texturelessProb() ? ShadingMode.TEXTURELESS : ShadingMode.DIFFUSE;
                ratio = (float) softRatio;
            }
        }
        double bgCoin = rng.nextDouble();
        float[] solid = {(float) rng.nextDouble(), (float) rng.nextDouble(), (float) rng.nextDouble()};
        boolean normals = config.loss().lambdaOrient().at(s) != 0.0 || mode != ShadingMode.ALBEDO;
        return new RenderOptions(true, mode, ratio, normals, bgCoin < rc.backgroundRandomProb() ? solid : null);
    }

    private static int seedFor(long seed, int step) {
        long z = seed * 0x9E3779B97F4A7C15L + (step + 1L) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (int) (z & 0x7fffffff);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    /** Write field, background, optimizer moments and step counts, occupancy grid, step and history. */
    public void saveCheckpoint(OutputStream out) throws IOException {
        RunCheckpoint.write(this, out);
    }

    /** Restore a state written by {@link #saveCheckpoint} from a run with the same config. */
    public void restoreCheckpoint(InputStream in) throws IOException {
        RunCheckpoint.read(this, in);
    }

    public Device device() {
        return manager.getDevice();
    }

    public RunConfig config() {
        return config;
    }

    public int currentStep() {
        return step;
    }

    void setCurrentStep(int s) {
        this.step = s;
    }

    public NerfField field() {
        return field;
    }

    public EnvironmentBackground background() {
        return background;
    }

    public OccupancyGrid occupancyGrid() {
        return grid;
    }

    public VolumeRenderer renderer() {
        return renderer;
    }

    public List<Parameter> parameters() {
        return parameters;
    }

    AdamW optimizer() {
        return optimizer;
    }

    NDManager manager() {
        return manager;
    }

    /** Reports of all steps taken so far (restored from checkpoints too). */
    public List<StepReport> history() {
        return Collections.unmodifiableList(history);
    }

    List<StepReport> mutableHistory() {
        return history;
    }

    /** Number of native arrays held by the run's manager (flat over a healthy run). */
    public int managedArrays() {
        return manager.getManagedArrays().size();
    }

    @Override
    public void close() {
        manager.close();
    }
}
