package dev.vlm3d.models.qwen25vl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.vlm3d.nn.DifferentiableCast;
import dev.vlm3d.nn.Layers;

/** Linear layers under a {@link QwenVlPrecision}: fp16 matrices get fp16 inputs, the result returns to float32. */
final class QwenVlOps {

    private final QwenVlPrecision precision;

    QwenVlOps(QwenVlPrecision precision) {
        this.precision = precision;
    }

    QwenVlPrecision precision() {
        return precision;
    }

    NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        if (weight.getDataType() == x.getDataType()) {
            return Layers.linear(x, weight, bias);
        }
        NDArray y = Layers.linear(DifferentiableCast.cast(x, weight.getDataType()), weight, bias);
        return DifferentiableCast.cast(y, x.getDataType());
    }

    /** RMSNorm in the activation dtype (float32 in the fp16 option), eps added before the inverse square root. */
    NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
        return Layers.rmsNorm(x, weight, (float) eps);
    }

    DataType activations() {
        return precision.activations();
    }
}
