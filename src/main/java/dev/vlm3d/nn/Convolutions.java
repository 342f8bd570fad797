package dev.vlm3d.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** 2-D convolution and resampling helpers for the diffusion networks (stateless; weights passed in). */
public final class Convolutions {

    private Convolutions() {}

    /** F.conv2d with square stride and symmetric zero padding; bias may be null. */
    public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        return x.getNDArrayInternal()
                .convolution(
                        x, weight, bias, new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1), 1)
                .singletonOrThrow();
    }

    /** Nearest-neighbour ×2 upsampling of [N, C, H, W] (F.interpolate mode='nearest', scale 2). */
    public static NDArray upsampleNearest2x(NDArray x) {
        return x.repeat(2, 2).repeat(3, 2);
    }

    /**
     * Zero padding of one row at the bottom and one column at the right of [N, C, H, W], which the SD VAE applies
     * before its stride-2 convolutions (asymmetric, so it cannot be expressed as conv padding).
     */
    public static NDArray padBottomRight(NDArray x) {
        Shape s = x.getShape();
        NDArray row = x.getManager().zeros(new Shape(s.get(0), s.get(1), 1, s.get(3)), x.getDataType());
        NDArray tall = x.concat(row, 2);
        NDArray col = x.getManager().zeros(new Shape(s.get(0), s.get(1), s.get(2) + 1, 1), x.getDataType());
        return tall.concat(col, 3);
    }
}
