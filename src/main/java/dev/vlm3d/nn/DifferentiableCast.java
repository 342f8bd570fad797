package dev.vlm3d.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * A dtype cast that autograd records. DJL's {@code toType} runs under a no-grad guard and silently cuts the graph;
 * {@code torch.cumprod(x, dim, dtype)} over a new axis of length 1 is the identity with a cast, and its backward
 * casts the gradient back to the input dtype.
 */
public final class DifferentiableCast {

    private DifferentiableCast() {}

    public static NDArray cast(NDArray x, DataType target) {
        if (x.getDataType() == target) {
            return x;
        }
        int axis = x.getShape().dimension();
        NDArray expanded = x.expandDims(axis);
        NDArray cast = JniUtils.cumProd((PtNDArray) expanded, axis, target);
        return cast.squeeze(axis);
    }
}
