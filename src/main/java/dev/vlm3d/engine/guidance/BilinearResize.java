package dev.vlm3d.engine.guidance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vlm3d.nn.HostArrays;

/**
 * F.interpolate(mode='bilinear', align_corners=False, antialias=False) as two matrix products. DJL's interpolate
 * forces antialiasing for bilinear, which would change downsampling; a fixed resize is linear, so precomputed
 * weight matrices reproduce the reference exactly and autograd differentiates them for free.
 */
public final class BilinearResize {

    private BilinearResize() {}

    /** The [out, in] row-weight matrix: source coordinate (dst+0.5)·in/out − 0.5, clamped at 0 from below. */
    public static float[] weights(int in, int out) {
        float[] m = new float[out * in];
        double scale = (double) in / out;
        for (int d = 0; d < out; d++) {
            double src = Math.max((d + 0.5) * scale - 0.5, 0.0);
            int i0 = Math.min((int) Math.floor(src), in - 1);
            int i1 = Math.min(i0 + 1, in - 1);
            double lambda = src - i0;
            m[d * in + i0] += (float) (1.0 - lambda);
            m[d * in + i1] += (float) lambda;
        }
        return m;
    }

    /**
     * Resizes [N, C, H, W] to [N, C, outH, outW]; identity when the size already matches. The input stays the first
     * operand of every op, so the results live in its manager.
     */
    public static NDArray resize(NDArray image, int outH, int outW) {
        Shape s = image.getShape();
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        if (h == outH && w == outW) {
            return image;
        }
        NDManager m = image.getManager();
        // libtorch-owned (HostArrays): the backward of matMul reads these after this method returns
        NDArray rowsT = HostArrays.create(m, weights(h, outH), new Shape(outH, h))
                .transpose()
                .toType(image.getDataType(), false);
        NDArray colsT = HostArrays.create(m, weights(w, outW), new Shape(outW, w))
                .transpose()
                .toType(image.getDataType(), false);
        // out = R·img·Cᵀ, written as ((imgᵀ·Rᵀ)ᵀ)·Cᵀ so that the image is the left operand throughout
        return image.transpose(0, 1, 3, 2).matMul(rowsT).transpose(0, 1, 3, 2).matMul(colsT);
    }
}
