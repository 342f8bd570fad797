package dev.vlm3d.models.qwen25vl;

import dev.vlm3d.nn.BlockDiagonalAttention.Segment;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Analytic size of one reward call of this implementation: parameters, weight memory, activations kept for the
 * backward pass, and FLOPs. Counted from config.json and the image sizes, following exactly what
 * {@link QwenVlVision} and {@link QwenVlText} compute (block-diagonal vision attention, last-row-only final layer,
 * one-row LM head).
 *
 * <p>Activations: the tensors autograd keeps when only the pixels require a gradient. PyTorch saves an operand only
 * when the gradient of another operand that requires grad needs it, so frozen linear layers keep nothing (their input
 * gradient needs the weight only), while each RMSNorm keeps its input, each attention its rotated q, k, v and the
 * softmax output, each SiLU-gated MLP its gate, sigmoid, SiLU output and up projection, and the merger GELU its
 * input. Transient forward/backward buffers come on top (about one block's activations).
 *
 * <p>Run: {@code java -cp <classpath> dev.vlm3d.models.qwen25vl.QwenVlCost <config.json|model dir> [views] [height]
 * [width] [textTokens] [FP32|FP16_WEIGHTS]}; defaults 8 views of 252×252, 150 text tokens, FP32.
 */
public final class QwenVlCost {

    /** Sizes of one call. */
    public record Estimate(
            long parameters,
            long weightBytes,
            long activationBytes,
            long visionTokens,
            long sequenceLength,
            double forwardFlops,
            double backwardFlops) {}

    private QwenVlCost() {}

    /** {linear, attention} forward FLOPs of one text layer computing {@code rows} rows over a sequence of s. */
    private static double[] textLayerFlops(QwenVlConfig.Text t, long rows, long s) {
        long dt = t.hiddenSize();
        long q = (long) t.numHeads() * t.headDim();
        long kv = (long) t.numKvHeads() * t.headDim();
        long it = t.intermediateSize();
        double linear = 2.0 * rows * dt * q + 2 * 2.0 * s * dt * kv + 2.0 * rows * q * dt + 3 * 2.0 * rows * dt * it;
        double attention = 2 * 2.0 * t.numHeads() * t.headDim() * rows * s;
        return new double[] {linear, attention};
    }

    /**
     * Forward FLOPs of the language model alone over a sequence of {@code s} tokens up to the last position's logits
     * (what each criterion of the evaluation judge costs after the vision tower ran once, docs/evaluation.md).
     */
    public static double textForwardFlops(QwenVlConfig config, long s) {
        QwenVlConfig.Text t = config.text();
        double flops = 0;
        for (int l = 0; l < t.numLayers(); l++) {
            double[] layer = textLayerFlops(t, l == t.numLayers() - 1 ? 1 : s, s);
            flops += layer[0] + layer[1];
        }
        return flops + 2.0 * t.hiddenSize() * t.vocabSize();
    }

    /** Parameter count of a checkpoint with this config (the tied head counted once). */
    public static long parameterCount(QwenVlConfig config) {
        return visionMatrixParameters(config.vision())
                + visionNormParameters(config.vision())
                + textMatrixParameters(config.text())
                + textNormParameters(config.text());
    }

    private static long visionMatrixParameters(QwenVlConfig.Vision v) {
        long d = v.hiddenSize();
        long i = v.intermediateSize();
        long block = 3 * d * d + 3 * d + d * d + d + 2 * (i * d + i) + d * i + d;
        long mergerIn = d * v.spatialMergeSize() * v.spatialMergeSize();
        long merger = mergerIn * mergerIn + mergerIn + (long) v.outHiddenSize() * mergerIn + v.outHiddenSize();
        return (long) v.depth() * block + d * v.patchFeatures() + merger;
    }

    private static long visionNormParameters(QwenVlConfig.Vision v) {
        return (long) v.depth() * 2 * v.hiddenSize() + v.hiddenSize();
    }

    private static long textMatrixParameters(QwenVlConfig.Text t) {
        long d = t.hiddenSize();
        long q = (long) t.numHeads() * t.headDim();
        long kv = (long) t.numKvHeads() * t.headDim();
        long layer = d * q + q + 2 * (d * kv + kv) + q * d + 3 * d * t.intermediateSize();
        long embed = (long) t.vocabSize() * d;
        return t.numLayers() * layer + embed + (t.tieWordEmbeddings() ? 0 : embed);
    }

    private static long textNormParameters(QwenVlConfig.Text t) {
        return (long) t.numLayers() * 2 * t.hiddenSize() + t.hiddenSize();
    }

    public static Estimate estimate(
            QwenVlConfig config, int views, int height, int width, int textTokens, QwenVlPrecision precision) {
        QwenVlConfig.Vision v = config.vision();
        QwenVlConfig.Text t = config.text();
        int factor = v.patchSize() * v.spatialMergeSize();
        int[] resized = SmartResize.resize(
                height, width, factor, SmartResize.DEFAULT_MIN_PIXELS, SmartResize.DEFAULT_MAX_PIXELS);
        int[][] grids = new int[views][];
        for (int i = 0; i < views; i++) {
            grids[i] = new int[] {1, resized[0] / v.patchSize(), resized[1] / v.patchSize()};
        }
        VisionWindows windows = VisionWindows.of(grids, v.spatialMergeSize(), v.windowUnits());
        long n = 0;
        for (int[] g : grids) {
            n += (long) g[1] * g[2];
        }
        long unit = (long) v.spatialMergeSize() * v.spatialMergeSize();
        long imageTokens = n / unit;
        // per image: vision_start + pads + vision_end
        long s = imageTokens + 2L * views + textTokens;

        long actBytes = precision.activations() == ai.djl.ndarray.types.DataType.FLOAT64 ? 8 : 4;
        long matBytes = precision.matrices() == ai.djl.ndarray.types.DataType.FLOAT64
                ? 8
                : precision.matrices() == ai.djl.ndarray.types.DataType.FLOAT16 ? 2 : 4;
        long weightBytes = (visionMatrixParameters(v) + textMatrixParameters(t)) * matBytes
                + (visionNormParameters(v) + textNormParameters(t)) * actBytes;

        // ---- vision
        long d = v.hiddenSize();
        long h = v.numHeads();
        long hd = v.headDim();
        long inter = v.intermediateSize();
        double flops = 2.0 * n * v.patchFeatures() * d; // patch embedding
        double backward = 2.0 * n * v.patchFeatures() * d;
        long saved = 0;
        for (int b = 0; b < v.depth(); b++) {
            long sumSq = 0;
            for (Segment seg : v.isFullAttention(b) ? windows.imageSegments() : windows.windowSegments()) {
                sumSq += (long) seg.length() * seg.length();
            }
            double linear = 2.0 * n * d * (3 * d) + 2.0 * n * d * d + 3 * 2.0 * n * d * inter;
            double attention = 2 * 2.0 * h * hd * sumSq;
            flops += linear + attention;
            backward += linear + 2 * attention; // frozen weights: one matmul per linear, two per attention matmul
            // norm inputs ×2, rotated q and k, v, softmax output, MLP gate/sigmoid/silu/up
            saved += 2 * n * d + 3 * n * d + h * sumSq + 4 * n * inter;
        }
        long mergerIn = d * unit;
        double merger = 2.0 * imageTokens * mergerIn * mergerIn + 2.0 * imageTokens * mergerIn * v.outHiddenSize();
        flops += merger;
        backward += merger;
        saved += n * d + imageTokens * mergerIn; // merger norm input, GELU input
        saved += 2 * n * hd; // rotary cos/sin tables

        // ---- text
        long dt = t.hiddenSize();
        long q = (long) t.numHeads() * t.headDim();
        long kv = (long) t.numKvHeads() * t.headDim();
        long it = t.intermediateSize();
        for (int l = 0; l < t.numLayers(); l++) {
            boolean last = l == t.numLayers() - 1;
            long rows = last ? 1 : s;
            double[] layer = textLayerFlops(t, rows, s);
            double linear = layer[0];
            double attention = layer[1];
            flops += linear + attention;
            backward += linear + 2 * attention;
            saved += s * dt + rows * dt + rows * q + 2 * s * kv + (long) t.numHeads() * rows * s + 4 * rows * it;
        }
        double head = 2.0 * dt * t.vocabSize();
        flops += head;
        backward += head;
        saved += s * s + 2 * s * t.headDim() + (long) t.vocabSize(); // causal mask, M-RoPE tables, logits row
        return new Estimate(parameterCount(config), weightBytes, saved * actBytes, n, s, flops, backward);
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: QwenVlCost <config.json|model dir> [views=8] [height=252] [width=252] "
                    + "[textTokens=150] [FP32|FP16_WEIGHTS]");
            System.exit(2);
        }
        QwenVlConfig config = QwenVlConfig.read(Path.of(args[0]));
        int views = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int height = args.length > 2 ? Integer.parseInt(args[2]) : 252;
        int width = args.length > 3 ? Integer.parseInt(args[3]) : 252;
        int text = args.length > 4 ? Integer.parseInt(args[4]) : 150;
        QwenVlPrecision precision = args.length > 5 ? QwenVlPrecision.valueOf(args[5]) : QwenVlPrecision.FP32;
        Estimate e = estimate(config, views, height, width, text, precision);
        double gib = 1024.0 * 1024 * 1024;
        System.out.printf(Locale.ROOT, "config            %s%n", args[0]);
        System.out.printf(
                Locale.ROOT,
                "input             %d views of %dx%d, %d text tokens, %s%n",
                views,
                height,
                width,
                text,
                precision);
        System.out.printf(Locale.ROOT, "parameters        %,d%n", e.parameters());
        System.out.printf(
                Locale.ROOT, "vision patches    %,d; sequence length %,d%n", e.visionTokens(), e.sequenceLength());
        System.out.printf(Locale.ROOT, "weights           %.2f GiB%n", e.weightBytes() / gib);
        System.out.printf(
                Locale.ROOT, "activations kept  %.2f GiB (for d reward / d pixels)%n", e.activationBytes() / gib);
        System.out.printf(
                Locale.ROOT,
                "total             %.2f GiB + transient buffers (~one block)%n",
                (e.weightBytes() + e.activationBytes()) / gib);
        System.out.printf(Locale.ROOT, "FLOPs forward     %.3e%n", e.forwardFlops());
        System.out.printf(Locale.ROOT, "FLOPs fwd+bwd     %.3e%n", e.forwardFlops() + e.backwardFlops());
    }
}
