package dev.vlm3d.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vlm3d.weights.TensorSource;
import dev.vlm3d.weights.WeightsException;
import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * Weights drawn on the target device from a name → shape map ({@link CheckpointShapes}), never written anywhere: the
 * 8 B parameters of Qwen2.5-VL-7B are drawn on the GPU itself, with no checkpoint read. The scheme is the tiny model
 * set's (matrices N(0, 1/fan_in), embeddings N(0, 0.3²), norm scales 1 + N(0, 0.1²), biases N(0, 0.05²); see
 * TinyModelSet.initialValues), which keeps
 * activations O(1), so fp16 runs see realistic magnitudes rather than overflow. Random draws come from the engine's
 * generator (seed it first for repeatable weights).
 */
final class RandomWeights implements TensorSource {

    private final Map<String, long[]> shapes;

    RandomWeights(Map<String, long[]> shapes) {
        this.shapes = shapes;
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(shapes.keySet());
    }

    @Override
    public NDArray load(String name, NDManager manager, DataType computeType) {
        long[] dims = shapes.get(name);
        if (dims == null) {
            throw new WeightsException("no generated tensor " + name);
        }
        Shape shape = new Shape(dims);
        boolean isNorm = name.contains("norm") || name.contains("ln_") || name.contains("layernorm");
        float mean;
        float std;
        if (dims.length == 1 && name.endsWith("weight") && isNorm) {
            mean = 1f;
            std = 0.1f;
        } else if (dims.length == 1) {
            mean = 0f;
            std = 0.05f;
        } else if (name.contains("embed")
                && !name.contains("patch_embed")
                && dims.length == 2
                && !name.contains("time_embed")
                && !name.contains("camera_embed")) {
            mean = 0f;
            std = 0.3f;
        } else {
            mean = 0f;
            std = (float) (1.0 / Math.sqrt((double) shape.size() / dims[0]));
        }
        // half-precision normal_ exists on CUDA only; on the CPU draw in float32 and convert
        boolean direct = computeType == DataType.FLOAT32 || manager.getDevice().isGpu();
        NDArray a = manager.randomNormal(mean, std, shape, direct ? computeType : DataType.FLOAT32);
        if (a.getDataType() != computeType) {
            NDArray converted = a.toType(computeType, false);
            a.close();
            a = converted;
        }
        return a;
    }

    @Override
    public void close() {
        // the arrays belong to the loaders' managers
    }
}
