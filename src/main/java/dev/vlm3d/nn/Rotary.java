package dev.vlm3d.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/** Rotary position embedding helpers in the NeoX ("rotate half", not interleaved) layout. */
public final class Rotary {

    private Rotary() {}

    /** [x1, x2] → [−x2, x1] over the last axis. */
    public static NDArray rotateHalf(NDArray x) {
        int last = x.getShape().dimension() - 1; // split() rejects negative axes
        NDList halves = x.split(2, last);
        return NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), last);
    }

    /** x·cos + rotate_half(x)·sin, with cos/sin broadcastable to x. */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        return x.mul(cos).add(rotateHalf(x).mul(sin));
    }
}
