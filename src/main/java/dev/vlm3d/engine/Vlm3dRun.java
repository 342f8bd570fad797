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
import dev.vlm3d.engine.guidance.Guidance;
import dev.vlm3d.engine.guidance.GuidanceInput;
import dev.vlm3d.engine.guidance.GuidanceResult;
import dev.vlm3d.engine.render.CameraBatch;
import dev.vlm3d.engine.render.CameraSampler;
import dev.vlm3d.engine.render.OccupancyGrid;
import dev.vlm3d.engine.render.RayBatch;
import dev.vlm3d.engine.render.RenderConfig;
import dev.vlm3d.engine.render.RenderOptions;
import dev.vlm3d.engine.render.ShadingMode;
import dev.vlm3d.engine.render.VolumeRenderer;
import dev.vlm3d.engine.reward.Reward;
import dev.vlm3d.engine.reward.RewardResult;
import dev.vlm3d.nn.Lifetimes;
import dev.vlm3d.nn.NativeHeap;
import dev.vlm3d.nn.Scalars;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One VLM3D optimization: a NeRF field and background optimized with AdamW against a guidance term (SDS) and a
 * reward term (VLM), {@code L = λ_g·L_guidance − λ_vlm(s)·r + λ_orient(s)·L_orient}.
 *
 * <p>Threading: all calls must come from one thread (DJL grad mode is per thread; only one GradientCollector may be
 * open per JVM, and a step holds it). Randomness: every draw of step s derives from (seed, s) — cameras, shading and
 * background coins from a {@link SplittableRandom}, torch draws (ray jitter and whatever the guidance samples; the occupancy
 * refresh draws from its own (seed, step) generator) from {@code Engine.setRandomSeed} reseeded per step — so a resumed run replays the exact same
 * steps without saving generator state. Memory: parameters, moments and the occupancy grid live in the run's manager;
 * everything of a step lives in an NDScope closed at the end of the step, and every block inside it that makes
 * temporaries (a ray chunk, a hash lookup, a network block) has a scope of its own, so a step's peak is set by
 * {@link RenderConfig#chunkRays()} and the networks, not by the resolution or the view count (docs/engine.md).
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
    private final StepMemory.Probe memoryProbe;
    private int step;
    private int consecutiveSkips;
    private int skippedSteps;

    /**
     * Consecutive non-finite steps after which the run stops. A skipped step leaves the state untouched (torch's
     * GradScaler does the same in the released fp16-mixed run); a run of them means the field or a term diverged.
     */
    public static final int NON_FINITE_LIMIT = 10;

    public Vlm3dRun(RunConfig config, Guidance guidance, Reward reward, Device device) {
        this(config, guidance, reward, device, DataType.FLOAT32);
    }

    /**
     * @param dtype of the field, the background and the renders (float64 for the engine's exactness tests)
     */
    Vlm3dRun(RunConfig config, Guidance guidance, Reward reward, Device device, DataType dtype) {
        this.config = config;
        this.guidance = guidance;
        this.reward = reward;
        this.manager = NDManager.newBaseManager(device);
        this.cameras = new CameraSampler(config.camera());
        this.renderer = new VolumeRenderer(config.render());
        this.memoryProbe = new StepMemory.Probe(device);
        // the field's initial values are torch draws from the global generator: in this JVM's training turn
        Parts parts = TrainingLock.uninterruptibly(() -> {
            Engine.getInstance().setRandomSeed(seedFor(config.seed(), -1));
            NerfField f = new NerfField(config.field(), manager, dtype);
            EnvironmentBackground b = new EnvironmentBackground(config.field(), manager, dtype);
            return new Parts(f, b, new OccupancyGrid(config.render(), manager));
        });
        this.field = parts.field();
        this.background = parts.background();
        this.grid = parts.grid();
        List<Parameter> all = new ArrayList<>(field.parameters());
        all.addAll(background.parameters());
        this.parameters = List.copyOf(all);
        this.optimizer = new AdamW(parameters, config.optimizer(), manager);
    }

    private record Parts(NerfField field, EnvironmentBackground background, OccupancyGrid grid) {}

    /** Run until {@link RunConfig#maxSteps()}. */
    public RunOutcome run(RunHooks hooks) throws InterruptedException {
        return runUntil(config.maxSteps(), hooks);
    }

    /**
     * The one loop that drives a run: steps {@code step() .. endStep−1}, each in this JVM's {@link TrainingLock}
     * turn, reported to the listener; a checkpoint to the sink every {@link RunConfig#checkpointEvery()} steps (the
     * cadence is decided here only); the stop hook polled before every step.
     *
     * @throws NonFiniteStepException after {@link #NON_FINITE_LIMIT} consecutive skipped steps
     * @throws InterruptedException while waiting for the training turn
     */
    public RunOutcome runUntil(int endStep, RunHooks hooks) throws InterruptedException {
        int end = Math.min(endStep, config.maxSteps());
        while (step < end) {
            RunHooks.Stop stop = hooks.stop().get();
            if (stop == RunHooks.Stop.CANCEL) {
                return RunOutcome.CANCELLED;
            }
            if (stop == RunHooks.Stop.SUSPEND) {
                checkpoint(hooks.checkpoints());
                return RunOutcome.SUSPENDED;
            }
            StepReport report = TrainingLock.exclusively(this::step);
            history.add(report);
            hooks.listener().onStep(report);
            if (consecutiveSkips >= NON_FINITE_LIMIT) {
                throw new NonFiniteStepException(report.step(), consecutiveSkips);
            }
            if (config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0) {
                checkpoint(hooks.checkpoints());
            }
        }
        return RunOutcome.COMPLETED;
    }

    private void checkpoint(CheckpointSink sink) {
        try {
            sink.save(step, this::saveCheckpoint);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("checkpoint at step " + step + " failed", e);
        }
    }

    /**
     * One step, top to bottom: refresh the occupancy grid, plan the step's randomness, compute the gradients of the
     * loss terms (two render passes, see {@link #computeGradients}), and update the parameters unless the loss or a
     * gradient is not finite.
     */
    private StepReport step() {
        int s = step;
        memoryProbe.startStep();
        long start = System.nanoTime();
        StepPlan plan;
        StepResult result;
        boolean finite;
        long optimizerStart;
        try (NDScope scope = new NDScope();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            plan = plan(s); // inside the step's scope: the rays and jitter die with the step
            result = computeGradients(plan, collector);
            optimizerStart = System.nanoTime();
            double gradNorm = gradientNorm();
            result.stats().put("grad_norm", gradNorm);
            finite = Double.isFinite(result.total()) && Double.isFinite(gradNorm);
            // in-place updates of leaves must not be recorded
            JniUtils.setGradMode(false);
            try {
                if (finite) {
                    optimizer.step();
                } else {
                    optimizer.zeroGradients();
                }
            } finally {
                JniUtils.setGradMode(true);
            }
        }
        // the step's tensors are closed: once their freed blocks add up, give the pages back, or the next steps'
        // differently sized tensors fragment the allocator's arenas and the resident set grows (see NativeHeap)
        NativeHeap.releaseFreeMemoryAbove(NativeHeap.RELEASE_MARGIN_BYTES);
        long end = System.nanoTime();
        if (finite) {
            consecutiveSkips = 0;
        } else {
            consecutiveSkips++;
            skippedSteps++;
        }
        step = s + 1;
        StepPhases p = result.phases();
        StepTiming timing = new StepTiming(
                ms(p.render()),
                ms(p.guidance()),
                ms(p.reward()),
                ms(p.backward()),
                ms(end - optimizerStart),
                ms(end - start));
        return new StepReport(
                s,
                config.maxSteps(),
                result.total(),
                result.reported("guidance"),
                result.reported("reward"),
                result.reported("orientation"),
                plan.lambdaVlm(),
                plan.lambdaOrient(),
                plan.cameras().height(),
                plan.cameras().size(),
                result.samples(),
                timing,
                Collections.unmodifiableMap(result.stats()),
                memoryProbe.endStep(),
                !finite,
                skippedSteps);
    }

    /** Everything random or scheduled about step s, drawn from (seed, s) so that a resumed run replays it. */
    record StepPlan(
            int step,
            CameraBatch cameras,
            RayBatch rays,
            RenderOptions options,
            double lambdaOrient,
            double lambdaVlm) {}

    /**
     * Draws step s's randomness in a fixed order: the occupancy refresh (its own (seed, step) generator), cameras and
     * shading/background coins (SplittableRandom), the ray jitter (torch RNG). The guidance draws its noise after
     * this.
     */
    StepPlan plan(int s) {
        SplittableRandom rng = new SplittableRandom(seedFor(config.seed(), s));
        Engine.getInstance().setRandomSeed(seedFor(config.seed(), s));
        if (s % config.render().occupancyEvery() == 0) {
            grid.update(field, s, config.seed());
        }
        CameraBatch batch = cameras.sample(rng, s);
        RenderOptions options = trainingOptions(rng, s);
        RayBatch rays = RayBatch.of(batch, manager, field.dtype(), true);
        double lambdaOrient = config.loss().lambdaOrient().at(s);
        boolean rewardOn = reward != null && s < config.loss().vlmUntilStep();
        double lambdaVlm = rewardOn ? config.loss().lambdaVlm().at(s) : 0.0;
        return new StepPlan(s, batch, rays, options, lambdaOrient, lambdaVlm);
    }

    /**
     * The step's gradients, accumulated into the parameters' {@code .grad}:
     * <ol>
     *   <li>pass 1 renders the images without gradient, in ray chunks;</li>
     *   <li>the image terms (guidance, reward) take the images as a leaf, and their backward gives dL/dimage;</li>
     *   <li>pass 2 re-renders chunk by chunk with gradient, injecting dL/dimage and the orientation loss.</li>
     * </ol>
     * Must run inside the step's scope and gradient collector.
     */
    StepResult computeGradients(StepPlan plan, GradientCollector collector) {
        long t0 = System.nanoTime();
        CameraBatch batch = plan.cameras();
        int[] shape = {batch.size(), batch.height(), batch.width()};
        VolumeRenderer.ImagePass images =
                renderer.renderImages(field, background, grid, plan.rays(), shape, plan.options());
        NDArray rgb = images.rgb();
        rgb.setRequiresGradient(true);
        long t1 = System.nanoTime();

        List<LossTerm> terms = new ArrayList<>();
        Map<String, Double> reported = new LinkedHashMap<>();
        Map<String, Double> stats = new LinkedHashMap<>();
        NDArray imageLoss = null;
        if (guidance != null) {
            GuidanceResult g = guidance.compute(new GuidanceInput(
                    rgb,
                    batch.c2w(manager),
                    batch.elevations(),
                    batch.azimuths(),
                    batch.distances(),
                    plan.step(),
                    config.maxSteps()));
            imageLoss = addTerm(imageLoss, terms, "guidance", config.loss().lambdaGuidance(), g.loss());
            reported.put("guidance", g.lossValue());
            g.stats().forEach((k, v) -> stats.put("guidance." + k, v));
        }
        long t2 = System.nanoTime();
        if (plan.lambdaVlm() != 0.0) {
            RewardResult r = reward.compute(rgb);
            imageLoss = addTerm(imageLoss, terms, "reward", -plan.lambdaVlm(), r.reward());
            reported.put("reward", r.value());
            r.stats().forEach((k, v) -> stats.put("reward." + k, v));
        }
        long t3 = System.nanoTime();
        NDArray rgbGradient = rgb.zerosLike();
        if (imageLoss != null) {
            collector.backward(imageLoss);
            rgbGradient = rgb.getGradient();
        }
        double orientation = renderer.backpropagate(
                field,
                background,
                grid,
                plan.rays(),
                plan.options(),
                images,
                rgbGradient,
                plan.lambdaOrient(),
                collector);
        if (!Double.isNaN(orientation)) {
            terms.add(new LossTerm("orientation", plan.lambdaOrient(), orientation));
            reported.put("orientation", orientation);
        }
        long t4 = System.nanoTime();
        if (terms.stream().allMatch(t -> t.weight() == 0.0)) {
            throw new IllegalStateException("no loss term is active at step " + plan.step());
        }
        double total = terms.stream().mapToDouble(LossTerm::weighted).sum();
        return new StepResult(
                List.copyOf(terms),
                total,
                reported,
                stats,
                images.samples(),
                new StepPhases(t1 - t0, t2 - t1, t3 - t2, t4 - t3));
    }

    private static NDArray addTerm(NDArray sum, List<LossTerm> terms, String name, double weight, NDArray value) {
        terms.add(
                new LossTerm(name, weight, value.toType(DataType.FLOAT64, false).getDouble()));
        NDArray weighted = value.mul(Scalars.like(value, weight));
        return sum == null ? weighted : sum.add(weighted);
    }

    /**
     * The loss terms of one step and what they reported.
     *
     * @param terms    the differentiated terms with their weights
     * @param total    Σ weight·value
     * @param reported per term, the value its curves show (NaN-free: absent terms are missing)
     */
    record StepResult(
            List<LossTerm> terms,
            double total,
            Map<String, Double> reported,
            Map<String, Double> stats,
            long samples,
            StepPhases phases) {

        double reported(String name) {
            return reported.getOrDefault(name, Double.NaN);
        }
    }

    /** Nanoseconds of pass 1, the guidance, the reward, and the backward passes (image terms and pass 2). */
    record StepPhases(long render, long guidance, long reward, long backward) {}

    /** √Σ‖∇θ‖² over all parameters (one host sync). */
    private double gradientNorm() {
        NDArray sum = null;
        for (Parameter p : parameters) {
            // summed in the gradient's own dtype: a float64 copy of the 12.6M-entry table gradient every step cost
            // 100 MB of allocation for a number that only has to be finite and roughly right
            // scoped: the square of the table's gradient is 50 MB that would otherwise live until the step ends
            NDArray squares =
                    Lifetimes.scopedArray(() -> p.array().getGradient().square().sum());
            sum = sum == null ? squares : sum.add(squares);
        }
        return Math.sqrt(sum.toType(DataType.FLOAT64, false).getDouble());
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
        return new RenderOptions(mode, ratio, normals, bgCoin < rc.backgroundRandomProb() ? solid : null);
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

    /** After a restore: the skip counters follow from the restored history. */
    void restoreSkipCounters() {
        skippedSteps = history.isEmpty() ? 0 : history.get(history.size() - 1).skippedSteps();
        consecutiveSkips = 0;
        for (int i = history.size() - 1; i >= 0 && history.get(i).skipped(); i--) {
            consecutiveSkips++;
        }
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
