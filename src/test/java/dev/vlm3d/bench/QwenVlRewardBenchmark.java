package dev.vlm3d.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.vlm3d.engine.reward.QwenVlReward;
import dev.vlm3d.engine.reward.Reward;
import dev.vlm3d.engine.reward.RewardOptions;
import dev.vlm3d.models.qwen25vl.QwenVlConfig;
import dev.vlm3d.models.qwen25vl.QwenVlCost;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * CPU timing of the VLM reward on the tiny fixture model (the shapes of a real step before step 5000: 8 renders of
 * 64² → bilinear 256² → 8 × 252², 81 image tokens each, the paper's selected question), and the FLOP count and memory
 * estimate of the 7B model for the same input.
 *
 * <p>Run: {@code ./mvnw -q test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.vlm3d.bench.QwenVlRewardBenchmark -Dai.djl.offline=true} (optional args: views, iterations,
 * render size; 4 views of 256 are the steps from 5000 on)
 */
public final class QwenVlRewardBenchmark {

    private static final Path SET = Path.of("src/test/resources/fixtures/qwen25vl/tiny");
    private static final Path CONFIG_7B = Path.of("src/test/resources/configs/qwen2.5-vl-7b-instruct.config.json");

    private QwenVlRewardBenchmark() {}

    public static void main(String[] args) {
        int views = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        Engine.getInstance().setRandomSeed(1);
        try (QwenVlReward reward = QwenVlReward.load(
                        SET.resolve("model-fp32"), SET.resolve("tokenizer"), Device.cpu(), QwenVlPrecision.FP32);
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Reward r = reward.forPrompt("a DSLR photo of a soft sofa", RewardOptions.defaults());
            double[] forward = new double[iterations];
            double[] both = new double[iterations];
            int tokens = 0;
            for (int i = -2; i < iterations; i++) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray rgb = step.randomUniform(0, 1, new Shape(views, size, size, 3));
                    long t0 = System.nanoTime();
                    var result = r.compute(rgb);
                    long t1 = System.nanoTime();
                    tokens = result.stats().get("prompt_tokens").intValue();
                    if (i >= 0) {
                        forward[i] = (t1 - t0) / 1e6;
                    }
                }
                try (NDManager step = manager.newSubManager()) {
                    NDArray rgb = step.randomUniform(0, 1, new Shape(views, size, size, 3));
                    rgb.setRequiresGradient(true);
                    long t0 = System.nanoTime();
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        gc.backward(r.compute(rgb).reward());
                    }
                    rgb.getGradient().toFloatArray();
                    long t1 = System.nanoTime();
                    if (i >= 0) {
                        both[i] = (t1 - t0) / 1e6;
                    }
                }
            }
            QwenVlConfig tiny = reward.model().config();
            System.out.printf(
                    Locale.ROOT,
                    "tiny config: vision depth %d hidden %d heads %d, text layers %d hidden %d "
                            + "heads %d/%d, vocab %d; %d views %dx%d -> %d prompt tokens; threads %s%n",
                    tiny.vision().depth(),
                    tiny.vision().hiddenSize(),
                    tiny.vision().numHeads(),
                    tiny.text().numLayers(),
                    tiny.text().hiddenSize(),
                    tiny.text().numHeads(),
                    tiny.text().numKvHeads(),
                    tiny.text().vocabSize(),
                    views,
                    size,
                    size,
                    tokens,
                    System.getProperty("ai.djl.pytorch.num_threads", "default"));
            System.out.printf(
                    Locale.ROOT,
                    "CPU forward          median %.1f ms  (min %.1f, %d runs)%n",
                    median(forward),
                    Arrays.stream(forward).min().orElse(0),
                    iterations);
            System.out.printf(
                    Locale.ROOT,
                    "CPU forward+backward median %.1f ms  (min %.1f, %d runs)%n",
                    median(both),
                    Arrays.stream(both).min().orElse(0),
                    iterations);
        }
        QwenVlConfig big = QwenVlConfig.read(CONFIG_7B);
        for (QwenVlPrecision p : new QwenVlPrecision[] {QwenVlPrecision.FP32, QwenVlPrecision.FP16_WEIGHTS}) {
            // the model sees the renders at the released 256² whatever their size (smart_resize then makes 252²)
            int seen = QwenVlReward.RELEASED_INPUT_SIZE;
            QwenVlCost.Estimate e = QwenVlCost.estimate(big, views, seen, seen, 150, p);
            double gib = 1024.0 * 1024 * 1024;
            System.out.printf(
                    Locale.ROOT,
                    "7B %-12s %d views 252x252, S=%d: forward %.3e FLOP, fwd+bwd %.3e FLOP; "
                            + "weights %.1f GiB + activations %.1f GiB%n",
                    p,
                    views,
                    e.sequenceLength(),
                    e.forwardFlops(),
                    e.forwardFlops() + e.backwardFlops(),
                    e.weightBytes() / gib,
                    e.activationBytes() / gib);
        }
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
