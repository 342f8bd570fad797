package dev.vlm3d.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * 0-dim constants for arithmetic on the autograd path.
 *
 * <p>DJL's {@code x.mul(Number)} (likewise div/pow/…) creates a scalar array, runs the op and closes the scalar at
 * once. On the CPU the scalar's storage is the Java direct buffer it was created from; autograd still holds the
 * tensor for the backward pass (mul and pow save their operand), and once the buffer is garbage collected the
 * gradient reads freed memory (measured: zero or ±1e34 gradients in about a third of trials). Constants made here
 * stay attached to {@code x}'s manager, so they live as long as the step's graph.
 */
public final class Scalars {

    private Scalars() {
    }

    /** A 0-dim array holding {@code value}, of x's dtype, on x's device, owned by x's manager. */
    public static NDArray like(NDArray x, double value) {
        DataType type = x.getDataType();
        if (type == DataType.FLOAT64) {
            return x.getManager().create(value);
        }
        NDArray f = x.getManager().create((float) value);
        return type == DataType.FLOAT32 ? f : f.toType(type, false);
    }
}
