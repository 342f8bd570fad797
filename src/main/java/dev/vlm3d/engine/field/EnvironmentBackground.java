package dev.vlm3d.engine.field;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.List;

/**
 * threestudio's neural-environment-map-background: degree-3 real spherical harmonics of the unit view direction →
 * bias-free MLP 9 → h → h → 3 → sigmoid.
 */
public final class EnvironmentBackground {

    private final BiasFreeMlp mlp;

    public EnvironmentBackground(FieldConfig config, NDManager manager, DataType dtype) {
        int h = config.backgroundHidden();
        this.mlp = new BiasFreeMlp(manager, dtype, 9, h, h, 3);
    }

    /** @param directions unit ray directions [R, 3] → colours [R, 3] */
    public NDArray forward(NDArray directions) {
        return Activation.sigmoid(mlp.forward(sphericalHarmonics(directions)));
    }

    static NDArray sphericalHarmonics(NDArray d) {
        NDArray x = d.get(":, 0");
        NDArray y = d.get(":, 1");
        NDArray z = d.get(":, 2");
        NDArray c0 = x.zerosLike().add(0.28209479177387814);
        return NDArrays.stack(
                new ai.djl.ndarray.NDList(
                        c0,
                        y.mul(-0.48860251190291987),
                        z.mul(0.48860251190291987),
                        x.mul(-0.48860251190291987),
                        x.mul(y).mul(1.0925484305920792),
                        y.mul(z).mul(-1.0925484305920792),
                        z.square().mul(0.94617469575755997).sub(0.31539156525251999),
                        x.mul(z).mul(-1.0925484305920792),
                        x.square().sub(y.square()).mul(0.54627421529603959)),
                1);
    }

    public List<Parameter> parameters() {
        List<Parameter> list = new ArrayList<>();
        NerfField.addAll(list, "background.network.", ParameterGroup.BACKGROUND, mlp);
        return list;
    }
}
