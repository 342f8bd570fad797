package dev.vlm3d.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Set;

/**
 * Where a network's frozen tensors come from: a safetensors checkpoint ({@link SafetensorsCheckpoint}) or, for the
 * real-size benchmarks, weights generated on the device from a config (see {@link TensorSources#override}).
 */
public interface TensorSource extends AutoCloseable {

    /** Every tensor name the source holds. */
    Set<String> names();

    /**
     * Loads one tensor into {@code manager}, floating tensors converted to {@code computeType} (FLOAT32 or FLOAT16),
     * integer tensors in an integer type.
     */
    NDArray load(String name, NDManager manager, DataType computeType);

    @Override
    void close();
}
