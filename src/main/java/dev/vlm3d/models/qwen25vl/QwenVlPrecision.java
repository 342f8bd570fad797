package dev.vlm3d.models.qwen25vl;

import ai.djl.ndarray.types.DataType;

/**
 * Numeric mode of the model.
 *
 * <ul>
 *   <li>{@link #FP32}: weights and all compute in float32 (default; the golden fixtures' reference).</li>
 *   <li>{@link #FP16_WEIGHTS}: matrices and embeddings held in float16 (half the weight memory); every matmul with
 *       them runs in float16, while norms (and their weights), softmax, rotary, attention and the residual stream
 *       stay float32. The casts are done with a differentiable op, so gradients still reach the pixels.</li>
 *   <li>{@link #FP64}: everything in float64 (finite-difference checks and the float64 golden values).</li>
 * </ul>
 */
public enum QwenVlPrecision {
    FP32(DataType.FLOAT32, DataType.FLOAT32),
    FP16_WEIGHTS(DataType.FLOAT32, DataType.FLOAT16),
    FP64(DataType.FLOAT64, DataType.FLOAT64);

    private final DataType activations;
    private final DataType matrices;

    QwenVlPrecision(DataType activations, DataType matrices) {
        this.activations = activations;
        this.matrices = matrices;
    }

    /** dtype of the residual stream, norms, softmax and the image pixels. */
    public DataType activations() {
        return activations;
    }

    /** dtype of linear-layer weights/biases and embedding tables. */
    public DataType matrices() {
        return matrices;
    }
}
