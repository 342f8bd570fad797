package dev.vlm3d.models.qwen25vl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.vlm3d.nn.DifferentiableCast;
import dev.vlm3d.nn.Layers;
import dev.vlm3d.nn.Scalars;

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

    /**
     * RMSNorm in the activation dtype (float32 in the fp16 option): x / sqrt(mean(x²) + eps) · w. Not
     * {@link Layers#rmsNorm}, whose {@code pow(Number)} operand is freed before the backward pass (see
     * {@link Scalars}).
     */
    NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
        NDArray variance = x.square().mean(new int[] {-1}, true);
        NDArray denominator = variance.add(Scalars.like(variance, eps)).sqrt();
        return x.div(denominator).mul(weight);
    }

    DataType activations() {
        return precision.activations();
    }
}
