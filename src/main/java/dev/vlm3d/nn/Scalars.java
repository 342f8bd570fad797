package dev.vlm3d.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Constants whose storage libtorch owns, for ops that autograd differentiates.
 *
 * <p>Why: on CPU, DJL wraps Java direct buffers zero-copy ({@code from_blob}), and {@code x.mul(Number)} creates such
 * a 0-d array and closes it right after the op. PyTorch saves that scalar for the backward of {@code mul}/{@code div}/
 * {@code pow}; once the Java buffer is collected the backward reads freed memory and returns garbage gradients
 * (reproduced: {@code x.mul(3f)} gave ∂/∂x = −1.4e33 after a GC). The same holds for any array made from a Java array
 * with {@code manager.create(float[])} and closed before the backward, which is why host data becomes a tensor
 * through {@link HostArrays} only. Tensors from {@code full}/{@code ones} or a clone are allocated by libtorch and are
 * safe.
 */
public final class Scalars {

    private Scalars() {}

    /** A 0-d tensor holding {@code value}, with the dtype and device of {@code like}. */
    public static NDArray like(NDArray like, double value) {
        return of(like.getManager(), value, like.getDataType());
    }

    /** A 0-d tensor in {@code manager}. */
    public static NDArray of(NDManager manager, double value, DataType type) {
        if (type == DataType.FLOAT64) {
            // full() takes a float; keep double constants exact
            return HostArrays.scalar(manager, value);
        }
        return manager.full(new Shape(), (float) value, type);
    }
}
