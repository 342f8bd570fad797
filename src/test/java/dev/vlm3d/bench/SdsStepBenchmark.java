package dev.vlm3d.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.vlm3d.engine.guidance.GuidanceInput;
import dev.vlm3d.engine.guidance.GuidanceResult;
import dev.vlm3d.engine.guidance.MvDreamGuidanceModel;
import dev.vlm3d.engine.guidance.ScoreDistillation;
import dev.vlm3d.engine.guidance.SdsGuidance;
import dev.vlm3d.engine.guidance.SdsNoise;
import dev.vlm3d.models.mvdream.UNetConfig;
import dev.vlm3d.models.mvdream.VaeConfig;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Time of one SDS step (resize, VAE encode with graph, UNet on 2B inputs without graph, backward through the encoder
 * into the renders) on the CPU for a model folder (default: the tiny golden fixture), and the analytic FLOP count of
 * one step for that model and for the real MVDream size (4 views, 256², CFG).
 *
 * <pre>
 * ./mvnw -q -o test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.vlm3d.bench.SdsStepBenchmark [-Dexec.args="MODEL_DIR VIEWS WARMUP ITERATIONS"]
 * </pre>
 */
public final class SdsStepBenchmark {

    private SdsStepBenchmark() {}

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        Path folder = Path.of(args.length > 0 ? args[0] : "src/test/resources/fixtures/mvdream/tiny/model");
        int views = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int iterations = args.length > 3 ? Integer.parseInt(args[3]) : 20;

        try (MvDreamGuidanceModel model = MvDreamGuidanceModel.load(folder, Device.cpu(), null);
                NDManager m = NDManager.newBaseManager(Device.cpu());
                SdsGuidance guidance =
                        model.forPrompt("a DSLR photo of a corgi wearing a beret", null, SdsNoise.seeded(1))) {
            ScoreDistillation sds = model.scoreDistillation();
            int size = model.scoreDistillation().imageSize();
            Engine.getInstance().setRandomSeed(3);
            NDArray base = m.randomUniform(0f, 1f, new Shape(views, size, size, 3));
            NDArray c2w = cameras(m, views);
            double[] millis = new double[iterations];
            for (int i = -warmup; i < iterations; i++) {
                try (NDScope scope = new NDScope();
                        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray rgb = base.duplicate();
                    rgb.setRequiresGradient(true);
                    long start = System.nanoTime();
                    GuidanceResult r = guidance.compute(new GuidanceInput(
                            rgb, c2w, new float[views], new float[views], new float[views], 0, 10000));
                    collector.backward(r.loss());
                    float check = rgb.getGradient().sum().getFloat();
                    long end = System.nanoTime();
                    if (!Float.isFinite(check)) {
                        throw new IllegalStateException("non-finite render gradient");
                    }
                    if (i >= 0) {
                        millis[i] = (end - start) / 1e6;
                    }
                }
            }
            Arrays.sort(millis);
            UNetConfig unet = model.pipeline().unet().config();
            VaeConfig vae = model.pipeline().vae().config();
            int latent = size / vae.downscaleFactor();
            int frames = sds.viewsPerGroup();
            int contextLength = model.pipeline().tokenizer().maxLength();
            SdsFlops.Count tinyFlops = stepFlops(unet, vae, views, size, latent, frames, contextLength);
            System.out.printf(
                    "model %s: UNet channels %s, attention %s, heads of %d ch; VAE %s; image %d², latent "
                            + "%d², %d views%n",
                    folder,
                    Arrays.toString(unet.levelChannels()),
                    Arrays.toString(unet.attentionAtLevel()),
                    unet.headChannels(),
                    Arrays.toString(vae.blockOutChannels()),
                    size,
                    latent,
                    views);
            System.out.printf(
                    "threads: %d available processors, %d warm-up + %d timed steps, load average after: %s%n",
                    Runtime.getRuntime().availableProcessors(), warmup, iterations, loadAverage());
            System.out.printf(
                    "one SDS step (encode + UNet on %d inputs + backward): median %.1f ms, min %.1f ms, "
                            + "max %.1f ms%n",
                    2 * views, millis[iterations / 2], millis[0], millis[iterations - 1]);
            System.out.printf(
                    "FLOPs per step at this size: %.3f GFLOP (%.1f GFLOP/s at the median)%n",
                    tinyFlops.total() / 1e9, tinyFlops.total() / 1e6 / millis[iterations / 2]);

            UNetConfig realUnet = new UNetConfig(
                    UNetConfig.Naming.LDM,
                    4,
                    4,
                    320,
                    new int[] {320, 640, 1280, 1280},
                    2,
                    new boolean[] {true, true, true, false},
                    64,
                    new int[] {-1, -1, -1, -1},
                    1024,
                    16,
                    1,
                    32,
                    32,
                    1e-5f);
            VaeConfig realVae = new VaeConfig(3, new int[] {128, 256, 512, 512}, 2, 32, 4, 0.18215, 256);
            SdsFlops.Count unetReal = SdsFlops.unet(realUnet, 8, 32, 4, 77);
            SdsFlops.Count encReal = SdsFlops.vaeEncoder(realVae, 4, 256);
            SdsFlops.Count backReal = SdsFlops.vaeEncoderBackward(encReal);
            System.out.printf(
                    "real MVDream size (4 views, 256², CFG => UNet on 8 latents of 32²): UNet %.1f GFLOP "
                            + "(attention matmuls %.1f), VAE encoder forward %.1f GFLOP, encoder input-gradient backward "
                            + "%.1f GFLOP, total %.1f GFLOP per step%n",
                    unetReal.total() / 1e9,
                    unetReal.attention() / 1e9,
                    encReal.total() / 1e9,
                    backReal.total() / 1e9,
                    (unetReal.total() + encReal.total() + backReal.total()) / 1e9);
        }
    }

    private static SdsFlops.Count stepFlops(
            UNetConfig unet, VaeConfig vae, int views, int size, int latent, int frames, int contextLength) {
        SdsFlops.Count enc = SdsFlops.vaeEncoder(vae, views, size);
        return SdsFlops.unet(unet, 2 * views, latent, frames, contextLength)
                .plus(enc)
                .plus(SdsFlops.vaeEncoderBackward(enc));
    }

    /** Views 90° apart at elevation 15°, distance 2.5, looking at the origin (threestudio c2w). */
    private static NDArray cameras(NDManager m, int views) {
        float[] c2w = new float[views * 16];
        for (int v = 0; v < views; v++) {
            double az = Math.toRadians(90.0 * v);
            double el = Math.toRadians(15);
            double[] p = {2.5 * Math.cos(el) * Math.cos(az), 2.5 * Math.cos(el) * Math.sin(az), 2.5 * Math.sin(el)};
            double[] look = normalize(new double[] {-p[0], -p[1], -p[2]});
            double[] right = normalize(cross(look, new double[] {0, 0, 1}));
            double[] up = normalize(cross(right, look));
            double[][] cols = {right, up, {-look[0], -look[1], -look[2]}, p};
            for (int row = 0; row < 3; row++) {
                for (int col = 0; col < 4; col++) {
                    c2w[v * 16 + row * 4 + col] = (float) cols[col][row];
                }
            }
            c2w[v * 16 + 15] = 1;
        }
        return m.create(c2w, new Shape(views, 4, 4));
    }

    /** The machine is shared; the 1-minute load average says how much the timing is worth. */
    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static double[] cross(double[] a, double[] b) {
        return new double[] {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    }

    private static double[] normalize(double[] v) {
        double n = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        return new double[] {v[0] / n, v[1] / n, v[2] / n};
    }
}
