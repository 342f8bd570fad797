package dev.vlm3d.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.engine.LossConfig;
import dev.vlm3d.engine.RunConfig;
import dev.vlm3d.engine.RunHooks;
import dev.vlm3d.engine.Schedule;
import dev.vlm3d.engine.StepReport;
import dev.vlm3d.engine.Vlm3dRun;
import dev.vlm3d.engine.field.FieldConfig;
import dev.vlm3d.engine.guidance.Guidance;
import dev.vlm3d.engine.guidance.GuidanceInput;
import dev.vlm3d.engine.guidance.GuidanceResult;
import dev.vlm3d.engine.render.CameraConfig;
import dev.vlm3d.engine.render.RenderConfig;
import dev.vlm3d.engine.reward.Reward;
import dev.vlm3d.engine.reward.RewardResult;
import dev.vlm3d.models.qwen25vl.QwenVlConfig;
import dev.vlm3d.models.qwen25vl.QwenVlCost;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
import dev.vlm3d.nn.NativeHeap;
import dev.vlm3d.nn.Scalars;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Seconds per step and peak memory of the training step at the four shapes of the presets, each with the paper
 * field (16 levels × 2, 2^19 table, 4096 finest), in one run so the figures compare as ratios:
 * {@code preview} (4 × 32², 64 samples), {@code fast} (4 × 64², 256), {@code paper} phase A (8 × 64², 512) and
 * phase B (4 × 256², 512). Guidance and reward are analytic stand-ins (an L2 to mid-grey and mean redness): the
 * figures are the field's, the renderer's and the loop's, not MVDream's or Qwen2.5-VL's. Peak memory is the
 * per-step peak RSS ({@code StepReport.memory}, VmHWM reset per step).
 *
 * <p>Then a whole-step GPU memory projection for an 80 GB A100 at the paper's phases: the 7B reward
 * ({@link QwenVlCost}), MVDream's weights (parameter counts from the real configs) and SDS activations (analytic,
 * dominant terms), and the field at the GPU chunk size, extrapolated from the CPU per-ray figure measured here.
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat cp.txt) dev.vlm3d.bench.StepMemoryBenchmark [SHAPES] [STEPS] [CHUNK] [WARMUPS]
 *     SHAPES  comma list of preview,fast,paperA,paperB (default all); STEPS measured per shape after one warm-up
 *     (default 2); CHUNK rays per chunk (default the CPU default); WARMUPS comma list per shape (default 1,1,1,1);
 *     PER_RAY_KB with SHAPES "none": only the projection, from a per-ray figure an earlier run printed
 * </pre>
 */
public final class StepMemoryBenchmark {

    record Shape(String name, int size, int views, int samples) {}

    static final List<Shape> SHAPES = List.of(
            new Shape("preview", 32, 4, 64),
            new Shape("fast", 64, 4, 256),
            new Shape("paperA", 64, 8, 512),
            new Shape("paperB", 256, 4, 512));

    record Result(Shape shape, double secondsPerStep, long peakBytes, long baselineBytes, long samples, int chunk) {}

    public static void main(String[] args) throws IOException, InterruptedException {
        NativeHeap.configure(); // as the application's main does
        System.setProperty("ai.djl.offline", "true");
        List<String> wanted = args.length > 0 && !args[0].isBlank()
                ? List.of(args[0].split(","))
                : SHAPES.stream().map(Shape::name).toList();
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int chunk = args.length > 2 ? Integer.parseInt(args[2]) : RenderConfig.CPU_CHUNK_RAYS;
        // warm-up steps per shape; phase B costs minutes per CPU step, so "1,1,1,0" measures its first step
        int[] warmups = {1, 1, 1, 1};
        if (args.length > 3) {
            String[] w = args[3].split(",");
            for (int i = 0; i < w.length && i < warmups.length; i++) {
                warmups[i] = Integer.parseInt(w[i]);
            }
        }
        System.out.printf(
                Locale.ROOT,
                "step memory benchmark: paper field, stand-in guidance and reward, "
                        + "%d rays per chunk, warm-up steps %s + %d measured steps per shape, threads=%s, load average %.2f%n",
                chunk,
                java.util.Arrays.toString(warmups),
                steps,
                System.getProperty("ai.djl.pytorch.num_threads", "default"),
                loadAverage());
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < SHAPES.size(); i++) {
            Shape shape = SHAPES.get(i);
            if (wanted.contains(shape.name()) && !wanted.contains("none")) {
                Result r = measure(shape, warmups[i], steps, chunk);
                results.add(r);
                System.out.printf(
                        Locale.ROOT,
                        "%-8s %d × %d², %d samples: %.2f s/step, peak RSS %.0f MB "
                                + "(%.0f MB above the run's start), %d samples with gradient per step, load average %.2f%n",
                        shape.name(),
                        shape.views(),
                        shape.size(),
                        shape.samples(),
                        r.secondsPerStep(),
                        r.peakBytes() / 0x1p20,
                        (r.peakBytes() - r.baselineBytes()) / 0x1p20,
                        r.samples(),
                        loadAverage());
            }
        }
        Result a = find(results, "paperA");
        Result b = find(results, "paperB");
        if (a != null && b != null) {
            System.out.printf(
                    Locale.ROOT,
                    "paper phase B / phase A peak RSS at %d rays per chunk: %.2f×%n",
                    chunk,
                    (double) b.peakBytes() / a.peakBytes());
        }
        Result measuredShape = b != null ? b : a;
        // "none" as the shape list with a fifth argument projects from a per-ray figure printed by an earlier run
        double bytesPerRay = args.length > 4
                ? Double.parseDouble(args[4]) * 1024
                : measuredShape == null
                        ? Double.NaN
                        : Math.max(0, measuredShape.peakBytes() - measuredShape.baselineBytes()) / (double) chunk;
        projection(
                bytesPerRay,
                measuredShape == null ? "given" : measuredShape.shape().name(),
                chunk);
    }

    private static Result find(List<Result> results, String name) {
        return results.stream()
                .filter(r -> r.shape().name().equals(name))
                .findFirst()
                .orElse(null);
    }

    static Result measure(Shape shape, int warmup, int steps, int chunk) throws InterruptedException {
        RunConfig paper = RunConfig.paper();
        CameraConfig c = paper.camera();
        CameraConfig camera = c.withPhases(List.of(shape.size()), List.of(shape.views()), List.of());
        int total = warmup + steps;
        // the orientation loss on, so every step computes the analytic normals as phase B of the paper does
        RunConfig config = paper.withMaxSteps(total)
                .withCheckpointEvery(0)
                .withCamera(camera)
                .withRender(paper.render().withSamplesPerRay(shape.samples()).withChunkRays(chunk))
                .withLoss(new LossConfig(1.0, Schedule.constant(10), Schedule.constant(1), total));
        List<StepReport> measured = new ArrayList<>();
        long baseline;
        try (Vlm3dRun run = new Vlm3dRun(config, new MidGreyGuidance(), new MeanRedness(), Device.cpu())) {
            baseline = rssBytes();
            run.run(RunHooks.listening(r -> {
                if (r.step() >= warmup) {
                    measured.add(r);
                }
            }));
        }
        double seconds = measured.stream()
                        .mapToDouble(r -> r.timing().totalMs())
                        .average()
                        .orElse(0)
                / 1000;
        long peak = measured.stream().mapToLong(r -> r.memory().bytes()).max().orElse(-1);
        long samples = (long)
                measured.stream().mapToLong(StepReport::samples).average().orElse(0);
        return new Result(shape, seconds, peak, baseline, samples, chunk);
    }

    /** Whole-step device memory of the paper's phases on an 80 GB A100, per precision mode. */
    static void projection(double bytesPerRay, String source, int cpuChunk) throws IOException {
        double gib = 0x1p30;
        QwenVlConfig qwen = QwenVlConfig.read(resource("configs/qwen2.5-vl-7b-instruct.config.json"));
        JsonObject unet = json("configs/mvdream-sd2.1-diffusers/unet/config.json");
        JsonObject vae = json("configs/mvdream-sd2.1-diffusers/vae/config.json");
        JsonObject clip = json("configs/mvdream-sd2.1-diffusers/text_encoder/config.json");
        long unetParams = CheckpointShapes.parameters(CheckpointShapes.mvdreamUnet(unet));
        long vaeParams = CheckpointShapes.parameters(CheckpointShapes.vaeEncoder(vae));
        long clipParams = CheckpointShapes.parameters(CheckpointShapes.clipText(clip));
        FieldConfig field = FieldConfig.paper();
        long fieldParams = fieldParameters(field);
        // per ray at the CPU chunk: everything the step added above the run's start (both passes, one chunk at a
        // time, plus the images, masks and table gradient), so an upper bound of the chunk's own share
        int gpuChunk = RenderConfig.GPU_CHUNK_RAYS;
        System.out.printf(Locale.ROOT, "%nGPU memory projection, 80 GB A100 (analytic unless marked measured):%n");
        System.out.printf(
                Locale.ROOT,
                "parameters: Qwen2.5-VL-7B %.2f B, MVDream UNet %.0f M + VAE encoder %.0f M + "
                        + "CLIP text %.0f M, field %.1f M%n",
                QwenVlCost.parameterCount(qwen) / 1e9,
                unetParams / 1e6,
                vaeParams / 1e6,
                clipParams / 1e6,
                fieldParams / 1e6);
        System.out.printf(
                Locale.ROOT,
                "field renderer per ray (measured on the CPU at %d rays per chunk, %s): %.1f KB;"
                        + " at the GPU chunk of %d rays: %.2f GiB%n",
                cpuChunk,
                source,
                bytesPerRay / 1024,
                gpuChunk,
                bytesPerRay * gpuChunk / gib);
        System.out.println(
                "| phase | VLM | diffusion | reward weights | reward activations | MVDream weights | "
                        + "SDS activations | field state | render chunk | total | fits 80 GB | largest chunk (rays) within 95% |");
        int[][] phases = {{8, 64}, {4, 256}};
        for (int[] phase : phases) {
            int views = phase[0];
            for (QwenVlPrecision precision : QwenVlPrecision.values()) {
                if (precision.activations() == DataType.FLOAT64) {
                    continue;
                }
                for (DataType diffusion : List.of(DataType.FLOAT32, DataType.FLOAT16)) {
                    QwenVlCost.Estimate reward = QwenVlCost.estimate(qwen, views, 252, 252, 150, precision);
                    long diffusionBytes = (long) diffusion.getNumOfBytes() * (unetParams + vaeParams + clipParams);
                    long sds = sdsActivationBytes(views, diffusion);
                    long fieldState = fieldParams * 4L * 5; // parameter, gradient, two moments, embedding-grad temp
                    long chunkBytes = Double.isNaN(bytesPerRay) ? 0 : (long) (bytesPerRay * gpuChunk);
                    long total = reward.weightBytes()
                            + reward.activationBytes()
                            + diffusionBytes
                            + sds
                            + fieldState
                            + chunkBytes;
                    long rest = total - chunkBytes;
                    long fittingRays = Double.isNaN(bytesPerRay) ? 0 : (long) ((80e9 * 0.95 - rest) / bytesPerRay);
                    System.out.printf(
                            Locale.ROOT,
                            "| %s (%d × %d²) | %s | %s | %.1f GiB | %.1f GiB | %.1f GiB | "
                                    + "%.1f GiB | %.2f GiB | %.1f GiB (measured/ray) | %.1f GiB | %s | %,d |%n",
                            views == 8 ? "A" : "B",
                            views,
                            phase[1],
                            precision,
                            diffusion,
                            reward.weightBytes() / gib,
                            reward.activationBytes() / gib,
                            diffusionBytes / gib,
                            sds / gib,
                            fieldState / gib,
                            chunkBytes / gib,
                            total / gib,
                            total < 80e9 ? "yes" : "no",
                            Math.max(0, fittingRays));
                }
            }
        }
    }

    /**
     * The dominant SDS activations of one step: the VAE encoder's tensors kept for the backward to the renders (the
     * renders resized to 256², about six [C, H, W] tensors per ResNet block, Σ over its 4 levels of 2 blocks with
     * channels 128/256/512/512), and the UNet's skip connections without gradient (2 × views inputs for CFG at 32²,
     * 12 skips, channels 320 → 1280) plus one attention query chunk over the 4 views' tokens.
     */
    static long sdsActivationBytes(int views, DataType diffusion) {
        int bytes = diffusion.getNumOfBytes();
        int[] vaeChannels = {128, 256, 512, 512};
        long vae = 0;
        int size = 256;
        for (int ch : vaeChannels) {
            vae += 2L * 6 * ch * (long) size * size;
            size /= 2;
        }
        vae *= (long) views * Math.max(bytes, 4); // the encoder runs with gradient in float32 or float16
        long unetSkips = 0;
        int[] unetChannels = {320, 640, 1280, 1280};
        size = 32;
        for (int ch : unetChannels) {
            unetSkips += 3L * ch * size * size;
            size /= 2;
        }
        long inputs = 2L * views;
        long skips = unetSkips * inputs * bytes;
        long tokens = 4L * 32 * 32;
        long attention = 5L * 1024 * tokens * (views / 4) * 2 * bytes; // 5 heads × 1024-query chunk × keys
        return vae + skips + attention;
    }

    static long fieldParameters(FieldConfig f) {
        long rows = 0;
        double perLevel = Math.exp(Math.log((double) f.finestResolution() / f.baseResolution()) / (f.levels() - 1));
        long cap = 1L << f.log2TableSize();
        for (int l = 0; l < f.levels(); l++) {
            double scale = Math.pow(perLevel, l) * f.baseResolution() - 1.0;
            long r = (long) Math.ceil(scale) + 1;
            rows += Math.min((r * r * r + 7) / 8 * 8, cap);
        }
        long d = f.encodedDim();
        long mlps = d * f.hiddenDim() + f.hiddenDim() + d * f.hiddenDim() + 3L * f.hiddenDim();
        long background = 9L * f.backgroundHidden()
                + (long) f.backgroundHidden() * f.backgroundHidden()
                + 3L * f.backgroundHidden();
        return rows * f.featuresPerLevel() + mlps + background;
    }

    private static Path resource(String name) throws IOException {
        Path p = Path.of("src/test/resources", name);
        if (!Files.exists(p)) {
            throw new IOException("run from the repository root: " + p + " not found");
        }
        return p;
    }

    private static JsonObject json(String name) throws IOException {
        try (InputStream in = Files.newInputStream(resource(name))) {
            return JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8))
                    .getAsJsonObject();
        }
    }

    private static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** L2 to mid-grey: the cost of a trivial guidance term. */
    private static final class MidGreyGuidance implements Guidance {
        @Override
        public GuidanceResult compute(GuidanceInput input) {
            NDArray diff = input.rgb().sub(Scalars.like(input.rgb(), 0.5));
            NDArray loss = diff.mul(diff).mean();
            return new GuidanceResult(loss, loss.toType(DataType.FLOAT64, false).getDouble(), Map.of());
        }

        @Override
        public void close() {}
    }

    private static final class MeanRedness implements Reward {
        @Override
        public RewardResult compute(NDArray rgb) {
            NDArray reward = rgb.get("..., 0").mean().sub(rgb.get("..., 1").mean());
            return new RewardResult(
                    reward, reward.toType(DataType.FLOAT64, false).getDouble(), Map.of());
        }

        @Override
        public void close() {}
    }
}
