package dev.vlm3d.engine.field;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.List;

/**
 * threestudio's VanillaMLP: linear layers without biases, ReLU between them, no output activation. Weights are
 * stored [in, out] and initialized like torch.nn.Linear (Kaiming-uniform, U(±1/√fan_in)).
 */
public final class BiasFreeMlp {

    private final List<NDArray> weights = new ArrayList<>();

    public BiasFreeMlp(NDManager manager, DataType dtype, int... widths) {
        for (int i = 0; i + 1 < widths.length; i++) {
            float bound = (float) (1.0 / Math.sqrt(widths[i]));
            NDArray w = manager.randomUniform(-bound, bound, new Shape(widths[i], widths[i + 1]), DataType.FLOAT32)
                    .toType(dtype, false);
            w.setRequiresGradient(true);
            weights.add(w);
        }
    }

    public NDArray forward(NDArray x) {
        NDArray h = x;
        for (int i = 0; i < weights.size(); i++) {
            h = h.matMul(weights.get(i));
            if (i + 1 < weights.size()) {
                h = Activation.relu(h);
            }
        }
        return h;
    }

    public List<NDArray> weights() {
        return weights;
    }
}
