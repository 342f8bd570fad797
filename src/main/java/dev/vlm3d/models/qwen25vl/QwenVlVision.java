package dev.vlm3d.models.qwen25vl;

import static dev.vlm3d.models.qwen25vl.QwenVlWeightNames.visionBlock;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vlm3d.nn.BlockDiagonalAttention;
import dev.vlm3d.nn.HostArrays;
import dev.vlm3d.nn.Layers;
import dev.vlm3d.nn.Lifetimes;
import dev.vlm3d.nn.Rotary;

/**
 * Qwen2.5-VL vision tower: patch embedding (the Conv3d as one matmul), 2-D rotary, window attention with the
 * configured full-attention blocks, RMSNorm, gated SiLU MLP, and the 2×2 patch merger. Output rows are in the order of
 * the images' {@code <|image_pad|>} tokens.
 */
public final class QwenVlVision {

    private static final double NORM_EPS = 1e-6; // hard-coded in the reference, not read from config

    private final QwenVlConfig.Vision config;
    private final QwenVlWeights weights;
    private final QwenVlOps ops;
    /** The Conv3d kernel as [hidden, C·T·P·P], reshaped once: a per-call view would pile up in the weights' manager. */
    private final NDArray patchWeight;

    QwenVlVision(QwenVlConfig.Vision config, QwenVlWeights weights, QwenVlOps ops) {
        this.config = config;
        this.weights = weights;
        this.ops = ops;
        this.patchWeight =
                weights.get(QwenVlWeightNames.PATCH_EMBED).reshape(config.hiddenSize(), config.patchFeatures());
    }

    /** Optional per-stage outputs for debugging against the reference (rows in pixel_values order). */
    public interface Trace {
        void record(String name, NDArray value);
    }

    /**
     * @param pixelValues [P, C·T·P·P] rows in merge-window order (see {@link QwenVlImageProcessor})
     * @param gridThw     (t, h, w) patch grid per image
     * @return [P/merge², out_hidden_size]
     */
    public NDArray forward(NDArray pixelValues, int[][] gridThw, Trace trace) {
        NDManager m = pixelValues.getManager();
        int n = Math.toIntExact(pixelValues.getShape().get(0));
        int unit = config.spatialMergeSize() * config.spatialMergeSize();
        int dim = config.hiddenSize();
        int heads = config.numHeads();
        int headDim = config.headDim();
        VisionWindows windows = VisionWindows.of(gridThw, config.spatialMergeSize(), config.windowUnits());
        // Index arrays live in the input's manager, not a shorter-lived one: DJL wraps host arrays zero-copy, and
        // autograd keeps the gather indices for the backward pass, after this method has returned.
        BlockDiagonalAttention.Plan windowPlan = BlockDiagonalAttention.plan(windows.windowSegments(), n, m);
        BlockDiagonalAttention.Plan imagePlan = BlockDiagonalAttention.plan(windows.imageSegments(), n, m);
        long[] windowIndex = new long[windows.windowIndex().length];
        long[] inverse = new long[windowIndex.length];
        for (int i = 0; i < windowIndex.length; i++) {
            windowIndex[i] = windows.windowIndex()[i];
            inverse[windows.windowIndex()[i]] = i;
        }
        NDArray unitOrder = HostArrays.create(m, windowIndex);
        NDArray unitRestore = HostArrays.create(m, inverse);

        NDArray x = ops.linear(pixelValues, patchWeight, null);
        if (trace != null) {
            trace.record("vision_patch_embed", x);
        }
        NDArray[] cosSin = rotaryTables(gridThw, n, m);
        x = x.reshape(n / unit, unit, dim).get(unitOrder).reshape(n, dim);
        NDArray cos = cosSin[0].reshape(n / unit, unit, headDim).get(unitOrder).reshape(n, 1, headDim);
        NDArray sin = cosSin[1].reshape(n / unit, unit, headDim).get(unitOrder).reshape(n, 1, headDim);
        double scale = 1.0 / Math.sqrt(headDim);

        for (int b = 0; b < config.depth(); b++) {
            // each block in its own scope: only its output and what autograd saved outlive it
            NDArray xIn = x;
            int block = b;
            x = Lifetimes.scopedArray(() -> block(xIn, block, cos, sin, scale, imagePlan, windowPlan));
            if (trace != null) {
                trace.record(
                        "vision_block_out_" + b,
                        x.reshape(n / unit, unit, dim).get(unitRestore).reshape(n, dim));
            }
        }

        NDArray y = ops.rmsNorm(x, weights.get(QwenVlWeightNames.MERGER_NORM), NORM_EPS)
                .reshape(n / unit, (long) dim * unit);
        y = Layers.gelu(ops.linear(
                y,
                weights.get(QwenVlWeightNames.MERGER_FC1 + ".weight"),
                weights.get(QwenVlWeightNames.MERGER_FC1 + ".bias")));
        y = ops.linear(
                y,
                weights.get(QwenVlWeightNames.MERGER_FC2 + ".weight"),
                weights.get(QwenVlWeightNames.MERGER_FC2 + ".bias"));
        return y.get(unitRestore);
    }

    /**
     * cos/sin [P, head_dim] for the patches in pixel_values order: the first head_dim/4 frequencies rotate with the
     * patch row, the next head_dim/4 with the column, duplicated to head_dim (pairs e, e + head_dim/2).
     */
    NDArray[] rotaryTables(int[][] gridThw, int n, NDManager m) {
        int headDim = config.headDim();
        int quarter = headDim / 4;
        int half = headDim / 2;
        boolean f64 = ops.activations() == DataType.FLOAT64;
        double[] invFreq = new double[quarter];
        for (int j = 0; j < quarter; j++) {
            if (f64) {
                invFreq[j] = 1.0 / Math.pow(config.ropeTheta(), (2.0 * j) / half);
            } else {
                // float32 like the reference: exponent, power and reciprocal each rounded to float
                float exponent = (float) (2 * j) / (float) half;
                float power = (float) Math.pow(config.ropeTheta(), exponent);
                invFreq[j] = 1.0f / power;
            }
        }
        double[] cos = new double[n * headDim];
        double[] sin = new double[n * headDim];
        int row = 0;
        int merge = config.spatialMergeSize();
        for (int[] g : gridThw) {
            for (int t = 0; t < g[0]; t++) {
                for (int bh = 0; bh < g[1] / merge; bh++) {
                    for (int bw = 0; bw < g[2] / merge; bw++) {
                        for (int mh = 0; mh < merge; mh++) {
                            for (int mw = 0; mw < merge; mw++) {
                                int hpos = bh * merge + mh;
                                int wpos = bw * merge + mw;
                                for (int j = 0; j < quarter; j++) {
                                    double ah = angle(hpos, invFreq[j], f64);
                                    double aw = angle(wpos, invFreq[j], f64);
                                    int base = row * headDim;
                                    for (int rep = 0; rep < 2; rep++) {
                                        cos[base + rep * half + j] = Math.cos(ah);
                                        sin[base + rep * half + j] = Math.sin(ah);
                                        cos[base + rep * half + quarter + j] = Math.cos(aw);
                                        sin[base + rep * half + quarter + j] = Math.sin(aw);
                                    }
                                }
                                row++;
                            }
                        }
                    }
                }
            }
        }
        return new NDArray[] {table(m, cos, n, headDim), table(m, sin, n, headDim)};
    }

    static double angle(int position, double invFreq, boolean f64) {
        return f64 ? position * invFreq : (float) (position * invFreq);
    }

    NDArray table(NDManager m, double[] values, int rows, int cols) {
        if (ops.activations() == DataType.FLOAT64) {
            return HostArrays.create(m, values, new Shape(rows, cols));
        }
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return HostArrays.create(m, f, new Shape(rows, cols));
    }

    private NDArray block(
            NDArray x,
            int b,
            NDArray cos,
            NDArray sin,
            double scale,
            BlockDiagonalAttention.Plan imagePlan,
            BlockDiagonalAttention.Plan windowPlan) {
        long n = x.getShape().get(0);
        int dim = config.hiddenSize();
        int heads = config.numHeads();
        int headDim = config.headDim();
        NDArray h = ops.rmsNorm(x, weights.get(visionBlock(b, "norm1.weight")), NORM_EPS);
        NDArray qkv = ops.linear(
                        h, weights.get(visionBlock(b, "attn.qkv.weight")), weights.get(visionBlock(b, "attn.qkv.bias")))
                .reshape(n, 3, heads, headDim);
        NDList parts = qkv.split(3, 1);
        NDArray q = Rotary.apply(parts.get(0).squeeze(1), cos, sin);
        NDArray k = Rotary.apply(parts.get(1).squeeze(1), cos, sin);
        NDArray v = parts.get(2).squeeze(1);
        BlockDiagonalAttention.Plan plan = config.isFullAttention(b) ? imagePlan : windowPlan;
        NDArray o = BlockDiagonalAttention.attend(q, k, v, plan, scale).reshape(n, dim);
        x = x.add(ops.linear(
                o, weights.get(visionBlock(b, "attn.proj.weight")), weights.get(visionBlock(b, "attn.proj.bias"))));
        h = ops.rmsNorm(x, weights.get(visionBlock(b, "norm2.weight")), NORM_EPS);
        NDArray gate = ops.linear(
                h,
                weights.get(visionBlock(b, "mlp.gate_proj.weight")),
                weights.get(visionBlock(b, "mlp.gate_proj.bias")));
        NDArray up = ops.linear(
                h, weights.get(visionBlock(b, "mlp.up_proj.weight")), weights.get(visionBlock(b, "mlp.up_proj.bias")));
        x = x.add(ops.linear(
                Layers.silu(gate).mul(up),
                weights.get(visionBlock(b, "mlp.down_proj.weight")),
                weights.get(visionBlock(b, "mlp.down_proj.bias"))));
        return x;
    }
}
