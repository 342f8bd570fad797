package dev.vlm3d.engine.field;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
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

    /**
     * Forward pass of a network with one output, plus the gradient of that output with respect to the input, by an
     * explicit backward through the layers (ReLU' is the mask h > 0). Every op is first order, so autograd can
     * differentiate the gradient itself.
     *
     * @return {output [N, 1], d output / d input [N, in]}
     */
    public NDList forwardWithInputGradient(NDArray x) {
        if (weights.get(weights.size() - 1).getShape().get(1) != 1) {
            throw new IllegalStateException("input gradient is defined for a network with one output");
        }
        List<NDArray> masks = new ArrayList<>();
        NDArray h = x;
        for (int i = 0; i < weights.size(); i++) {
            h = h.matMul(weights.get(i));
            if (i + 1 < weights.size()) {
                masks.add(h.gt(0).toType(h.getDataType(), false));
                h = Activation.relu(h);
            }
        }
        NDArray last = weights.get(weights.size() - 1);
        NDArray g = last.transpose(1, 0); // [1, h_{L-1}]
        for (int i = weights.size() - 2; i >= 0; i--) {
            g = g.mul(masks.get(i)).matMul(weights.get(i).transpose(1, 0)); // [N, h_{i-1}]
        }
        return new NDList(h, g);
    }

    public List<NDArray> weights() {
        return weights;
    }
}
