package dev.vlm3d.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.vlm3d.engine.LossConfig;
import dev.vlm3d.engine.RunConfig;
import dev.vlm3d.engine.RunHooks;
import dev.vlm3d.engine.Schedule;
import dev.vlm3d.engine.StepReport;
import dev.vlm3d.engine.Vlm3dRun;
import dev.vlm3d.engine.field.FieldConfig;
import dev.vlm3d.engine.field.HashGridEncoding;
import dev.vlm3d.engine.guidance.Guidance;
import dev.vlm3d.engine.guidance.GuidanceInput;
import dev.vlm3d.engine.guidance.GuidanceResult;
import dev.vlm3d.engine.render.CameraConfig;
import dev.vlm3d.engine.render.RenderConfig;
import dev.vlm3d.engine.reward.Reward;
import dev.vlm3d.engine.reward.RewardResult;
import dev.vlm3d.nn.NativeHeap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Engine step cost split into render, guidance, reward, backward and optimizer, plus hash-encoding throughput.
 *
 * <p>The field is the paper's (16 levels × 2, 2^19 table, 4096 finest, 64-wide MLPs); the renders are smaller than the
 * paper's 8 × 64² × 512 samples so that the CPU run finishes: {@code VIEWS × SIZE²} rays and {@code SAMPLES} lattice
 * samples per ray. Guidance and reward are cheap analytic stand-ins (an L2 to a constant image and mean redness), so
 * their columns measure the loop's overhead around the terms, not MVDream or Qwen2.5-VL (see their own benchmarks).
 *
 * <pre>
 * ./mvnw -q -o test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.vlm3d.bench.EngineStepBenchmark [-Dexec.args="SIZE VIEWS SAMPLES WARMUP STEPS ENCODING_POINTS"]
 * </pre>
 */
public final class EngineStepBenchmark {

    public static void main(String[] args) throws InterruptedException {
        NativeHeap.configure(); // as the application's main does
        System.setProperty("ai.djl.offline", "true");
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int views = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int samples = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        int steps = args.length > 4 ? Integer.parseInt(args[4]) : 20;
        int encodingPoints = args.length > 5 ? Integer.parseInt(args[5]) : 262_144;
        if (steps > 0) {
            stepCost(size, views, samples, warmup, steps);
        }
        encodingThroughput(FieldConfig.paper(), encodingPoints, 2, 5);
    }

    private static void stepCost(int size, int views, int samples, int warmup, int steps) throws InterruptedException {

        RunConfig paper = RunConfig.paper();
        CameraConfig c = paper.camera();
        CameraConfig camera = c.withPhases(List.of(size), List.of(views), List.of());
        RenderConfig r = paper.render();
        RenderConfig render = new RenderConfig(
                samples,
                r.occupancyResolution(),
                r.occupancyEvery(),
                r.occupancyDecay(),
                r.occupancyThreshold(),
                r.earlyStopEps(),
                r.backgroundRandomProb(),
                r.ambientOnlySteps(),
                r.albedoProb(),
                r.texturelessProb(),
                r.chunkRays());
        int total = warmup + steps;
        RunConfig config = paper.withMaxSteps(total)
                .withCheckpointEvery(0)
                .withCamera(camera)
                .withRender(render)
                .withLoss(new LossConfig(1.0, paper.loss().lambdaOrient(), Schedule.constant(1), total));
        System.out.printf(
                Locale.ROOT,
                "engine step benchmark: %d views × %d², %d samples/ray, paper field, "
                        + "%d warm-up + %d measured steps, threads=%s%n",
                views,
                size,
                samples,
                warmup,
                steps,
                System.getProperty("ai.djl.pytorch.num_threads", "default"));
        double[] sum = new double[6];
        long[] kept = new long[1];
        try (Vlm3dRun run = new Vlm3dRun(config, new ConstantImageGuidance(), new MeanRedness(), Device.cpu())) {
            run.run(RunHooks.listening(rep -> {
                if (rep.step() >= warmup) {
                    add(sum, rep);
                    kept[0] += rep.samples();
                }
            }));
        }
        System.out.printf(
                Locale.ROOT,
                "ms/step: render %.1f | guidance %.1f | reward %.1f | backward %.1f | "
                        + "optimizer %.1f | total %.1f  (mean %d samples with gradient per step)%n",
                sum[0] / steps,
                sum[1] / steps,
                sum[2] / steps,
                sum[3] / steps,
                sum[4] / steps,
                sum[5] / steps,
                kept[0] / steps);
    }

    private static void add(double[] sum, StepReport rep) {
        sum[0] += rep.timing().renderMs();
        sum[1] += rep.timing().guidanceMs();
        sum[2] += rep.timing().rewardMs();
        sum[3] += rep.timing().backwardMs();
        sum[4] += rep.timing().optimizerMs();
        sum[5] += rep.timing().totalMs();
    }

    private static void encodingThroughput(FieldConfig fc, int points, int warmup, int iterations) {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Engine.getInstance().setRandomSeed(0);
            HashGridEncoding encoding = new HashGridEncoding(fc, manager, DataType.FLOAT32);
            double forward = 0;
            double both = 0;
            for (int i = 0; i < warmup + iterations; i++) {
                try (NDScope scope = new NDScope()) {
                    NDArray x = manager.randomUniform(-1f, 1f, new Shape(points, 3), DataType.FLOAT32);
                    JniUtils.setGradMode(false);
                    long t0 = System.nanoTime();
                    encoding.encode(x).sum().getFloat();
                    long t1 = System.nanoTime();
                    JniUtils.setGradMode(true);
                    long t2;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        long s = System.nanoTime();
                        NDArray y = encoding.encode(x).sum();
                        gc.backward(y);
                        JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) encoding.table());
                        t2 = System.nanoTime() - s;
                    }
                    if (i >= warmup) {
                        forward += (t1 - t0) / 1e9;
                        both += t2 / 1e9;
                    }
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "hash encoding (%d levels, 2^%d table, %d points/batch): forward %.3f M "
                            + "points/s, forward+backward %.3f M points/s%n",
                    fc.levels(),
                    fc.log2TableSize(),
                    points,
                    points * iterations / forward / 1e6,
                    points * iterations / both / 1e6);
        }
    }

    /** L2 to a mid-grey image: the cost of a trivial guidance term. */
    private static final class ConstantImageGuidance implements Guidance {
        @Override
        public GuidanceResult compute(GuidanceInput input) {
            NDArray loss = input.rgb().sub(0.5f).square().mean();
            return new GuidanceResult(loss, loss.getFloat(), Map.of());
        }

        @Override
        public void close() {}
    }

    private static final class MeanRedness implements Reward {
        @Override
        public RewardResult compute(NDArray rgb) {
            NDArray reward = rgb.get("..., 0").sub(rgb.get("..., 1")).mean();
            return new RewardResult(reward, reward.getFloat(), Map.of());
        }

        @Override
        public void close() {}
    }
}
