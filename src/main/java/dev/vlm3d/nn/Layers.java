package dev.vlm3d.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/**
 * Stateless building blocks shared by the networks (Qwen2.5-VL, CLIP, MVDream UNet/VAE). Weights are plain NDArrays
 * taken from a checkpoint; nothing here owns parameters.
 *
 * <p>Composites exist where DJL's PyTorch JNI lacks the op (RMSNorm, group norm, SiLU, tanh-GELU); each is written
 * so that autograd flows through it.
 */
public final class Layers {

    private Layers() {}

    /** y = x·Wᵀ + b, PyTorch's F.linear (weight [out, in]); bias may be null. */
    public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /** Exact (erf) GELU, as F.gelu with approximate='none'. */
    public static NDArray gelu(NDArray x) {
        return Activation.gelu(x);
    }

    /** GELU with the tanh approximation (F.gelu approximate='tanh'), which the JNI does not expose. */
    public static NDArray geluTanh(NDArray x) {
        // tensor constants, not Java numbers: see Scalars for why differentiated ops must not take a Number
        NDArray inner = x.add(x.pow(Scalars.like(x, 3)).mul(Scalars.like(x, 0.044715)))
                .mul(Scalars.like(x, Math.sqrt(2.0 / Math.PI)));
        return x.mul(Scalars.like(x, 0.5)).mul(inner.tanh().add(1));
    }

    /** CLIP's quick_gelu: x·σ(1.702x). */
    public static NDArray quickGelu(NDArray x) {
        return x.mul(Activation.sigmoid(x.mul(Scalars.like(x, 1.702))));
    }

    /** RMSNorm over the last axis: x·(mean(x²)+ε)^-½·w, computed in x's dtype. */
    public static NDArray rmsNorm(NDArray x, NDArray weight, float eps) {
        NDArray variance = x.square().mean(new int[] {-1}, true);
        return x.mul(variance.add(eps).pow(Scalars.like(x, -0.5))).mul(weight);
    }

    /** LayerNorm over the last axis with affine gamma/beta (both required). */
    public static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta, float eps) {
        Shape normShape = new Shape(x.getShape().get(x.getShape().dimension() - 1));
        return x.getNDArrayInternal().layerNorm(x, normShape, gamma, beta, eps).singletonOrThrow();
    }

    /**
     * GroupNorm on [N, C, ...] (the JNI has no group_norm): a layer norm over each group's [C/G·spatial] elements,
     * then the per-channel affine. Matches F.group_norm.
     */
    public static NDArray groupNorm(NDArray x, int groups, NDArray gamma, NDArray beta, float eps) {
        Shape shape = x.getShape();
        long n = shape.get(0);
        long c = shape.get(1);
        long perGroup = shape.size() / n / groups;
        NDArray grouped = x.reshape(n, groups, perGroup);
        try (NDArray ones = x.getManager().ones(new Shape(perGroup), x.getDataType());
                NDArray zeros = x.getManager().zeros(new Shape(perGroup), x.getDataType())) {
            NDArray normed = grouped.getNDArrayInternal()
                    .layerNorm(grouped, new Shape(perGroup), ones, zeros, eps)
                    .singletonOrThrow()
                    .reshape(shape);
            long[] affineShape = new long[shape.dimension()];
            java.util.Arrays.fill(affineShape, 1);
            affineShape[1] = c;
            return normed.mul(gamma.reshape(affineShape)).add(beta.reshape(affineShape));
        }
    }

    /**
     * Scaled dot-product attention, softmax(q·kᵀ·scale + mask)·v, for q [..., Lq, D], k/v [..., Lk, D].
     *
     * @param mask additive mask broadcastable to [..., Lq, Lk] (0 to keep, a large negative to drop), or null
     * @param queryChunk split the queries into blocks of this many rows (≤ 0: no chunking); bounds the L×L peak when
     *                   no graph is recorded (inference), and does not change the result
     */
    public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, double scale, int queryChunk) {
        int qAxis = q.getShape().dimension() - 2;
        long lq = q.getShape().get(qAxis);
        NDArray kT = k.swapAxes(-1, -2);
        if (queryChunk <= 0 || lq <= queryChunk) {
            return Lifetimes.scopedArray(() -> attentionBlock(q, kT, v, mask, scale));
        }
        NDList parts = new NDList();
        for (long start = 0; start < lq; start += queryChunk) {
            long from = start;
            long end = Math.min(lq, start + queryChunk);
            // each query block's scores die with the block: chunking lowers the peak only with its own scope
            parts.add(Lifetimes.scopedArray(() -> {
                NDArray qBlock = q.get(sliceOnAxis(q.getShape().dimension(), qAxis, from, end));
                NDArray maskBlock = mask;
                if (mask != null && mask.getShape().get(mask.getShape().dimension() - 2) == lq) {
                    maskBlock = mask.get(sliceOnAxis(
                            mask.getShape().dimension(), mask.getShape().dimension() - 2, from, end));
                }
                return attentionBlock(qBlock, kT, v, maskBlock, scale);
            }));
        }
        return NDArrays.concat(parts, qAxis);
    }

    private static NDArray attentionBlock(NDArray q, NDArray kT, NDArray v, NDArray mask, double scale) {
        NDArray scores = q.matMul(kT).mul(Scalars.like(q, scale));
        if (mask != null) {
            scores = scores.add(mask);
        }
        return scores.softmax(-1).matMul(v);
    }

    private static String sliceOnAxis(int dims, int axis, long start, long end) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(i == axis ? start + ":" + end : ":");
        }
        return sb.toString();
    }
}
