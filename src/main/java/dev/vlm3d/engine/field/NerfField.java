package dev.vlm3d.engine.field;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.List;
import dev.vlm3d.nn.Scalars;

/**
 * The implicit volume: hash encoding → density MLP (+ magic3d blob bias, softplus) and feature MLP (→ sigmoid
 * albedo). Positions are world coordinates inside the [−1, 1]³ box.
 *
 * <p>Normals use forward finite differences of the activated density ({@code n = −∇σ/‖∇σ‖}, step
 * {@link FieldConfig#normalEps()}, offsets clamped into the box, threestudio's sign). They need only first-order
 * autograd, so the orientation loss differentiates through them with DJL's ordinary backward. The analytic
 * normal of the shading config would need double backward, which the DJL GradientCollector does not offer.
 */
public final class NerfField {

    private final FieldConfig config;
    private final DataType dtype;
    private final HashGridEncoding encoding;
    private final BiasFreeMlp densityNetwork;
    private final BiasFreeMlp featureNetwork;
    private final NDArray offsets; // [3, 1, 3] unit steps scaled by eps

    public NerfField(FieldConfig config, NDManager manager, DataType dtype) {
        this.config = config;
        this.dtype = dtype;
        this.encoding = new HashGridEncoding(config, manager, dtype);
        this.densityNetwork = new BiasFreeMlp(manager, dtype, config.encodedDim(), config.hiddenDim(), 1);
        this.featureNetwork = new BiasFreeMlp(manager, dtype, config.encodedDim(), config.hiddenDim(), 3);
        float e = config.normalEps();
        this.offsets = manager.create(new float[] {e, 0, 0, 0, e, 0, 0, 0, e}, new ai.djl.ndarray.types.Shape(3, 1, 3))
                .toType(dtype, false);
    }

    /** Activated density σ [N] at world positions x [N, 3]. */
    public NDArray density(NDArray x) {
        return densityFromEncoding(x, encoding.encode(x));
    }

    /** σ [N] and albedo [N, 3] in (0, 1), sharing one encoding pass. */
    public NDList densityAndAlbedo(NDArray x) {
        NDArray enc = encoding.encode(x);
        return new NDList(densityFromEncoding(x, enc), Activation.sigmoid(featureNetwork.forward(enc)));
    }

    /** Albedo [N, 3] only (mesh vertex colours). */
    public NDArray albedo(NDArray x) {
        return Activation.sigmoid(featureNetwork.forward(encoding.encode(x)));
    }

    /**
     * Unit normals [N, 3] by forward differences, given σ at x (so the centre evaluation is shared with rendering).
     */
    public NDArray normals(NDArray x, NDArray sigmaAtX) {
        long n = x.getShape().get(0);
        NDArray shifted = x.expandDims(0).add(offsets).maximum(-1).minimum(1).reshape(3 * n, 3);
        NDArray sigmaShifted = density(shifted).reshape(3, n);
        NDArray diff = sigmaShifted.sub(sigmaAtX.expandDims(0));
        // tensor constants: a Java-number operand is freed before backward on CPU (see nn.Scalars)
        NDArray grad = diff.div(Scalars.like(diff, config.normalEps())).transpose(1, 0); // [N,3]
        NDArray length = grad.square().sum(new int[] {1}, true).sqrt();
        NDArray norm = length.maximum(Scalars.like(length, 1e-12));
        return grad.neg().div(norm);
    }

    private NDArray densityFromEncoding(NDArray x, NDArray enc) {
        NDArray raw = densityNetwork.forward(enc).squeeze(1);
        NDArray radius = x.square().sum(new int[] {1}).add(1e-20).sqrt();
        NDArray blob = radius.div(config.blobStd()).neg().add(1).mul(config.blobScale());
        return Activation.softPlus(raw.add(blob));
    }

    public List<Parameter> parameters() {
        List<Parameter> list = new ArrayList<>();
        list.add(new Parameter("geometry.encoding.table", ParameterGroup.ENCODING, encoding.table()));
        addAll(list, "geometry.density_network.", ParameterGroup.DENSITY_NETWORK, densityNetwork);
        addAll(list, "geometry.feature_network.", ParameterGroup.FEATURE_NETWORK, featureNetwork);
        return list;
    }

    static void addAll(List<Parameter> list, String prefix, ParameterGroup group, BiasFreeMlp mlp) {
        for (int i = 0; i < mlp.weights().size(); i++) {
            list.add(new Parameter(prefix + "layers." + i + ".weight", group, mlp.weights().get(i)));
        }
    }

    public HashGridEncoding encoding() {
        return encoding;
    }

    public FieldConfig config() {
        return config;
    }

    public DataType dtype() {
        return dtype;
    }
}
