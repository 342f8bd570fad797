package dev.vlm3d.engine.field;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import dev.vlm3d.nn.Lifetimes;
import dev.vlm3d.nn.Scalars;
import java.util.ArrayList;
import java.util.List;

/**
 * The implicit volume: hash encoding → density MLP (+ magic3d blob bias, softplus) and feature MLP (→ sigmoid
 * albedo). Positions are world coordinates inside the [−1, 1]³ box.
 *
 * <p>Normals are analytic, {@code n = −∇σ/‖∇σ‖} as in the official shading config (threestudio's sign). DJL has no
 * double backward, so ∇σ is written out in first-order ops (the hash encoding's Jacobian, the density MLP's input
 * gradient, the blob term and softplus') and the orientation loss differentiates through it with the ordinary
 * backward. One encoding pass per sample serves σ, albedo and the normal.
 */
public final class NerfField {

    private final FieldConfig config;
    private final DataType dtype;
    private final HashGridEncoding encoding;
    private final BiasFreeMlp densityNetwork;
    private final BiasFreeMlp featureNetwork;
    // constants of the blob bias b(x) = scale·(1 − ‖x‖/std), libtorch-owned (see nn.Scalars)
    private final NDArray blobScale;
    private final NDArray blobSlope; // −scale/std
    private final NDArray tiny;
    private final NDArray normEps;

    public NerfField(FieldConfig config, NDManager manager, DataType dtype) {
        this.config = config;
        this.dtype = dtype;
        this.encoding = new HashGridEncoding(config, manager, dtype);
        this.densityNetwork = new BiasFreeMlp(manager, dtype, config.encodedDim(), config.hiddenDim(), 1);
        this.featureNetwork = new BiasFreeMlp(manager, dtype, config.encodedDim(), config.hiddenDim(), 3);
        this.blobScale = Scalars.of(manager, config.blobScale(), dtype);
        this.blobSlope = Scalars.of(manager, -config.blobScale() / config.blobStd(), dtype);
        this.tiny = Scalars.of(manager, 1e-20, dtype);
        this.normEps = Scalars.of(manager, 1e-12, dtype);
    }

    /** Activated density σ [N] at world positions x [N, 3]. */
    public NDArray density(NDArray x) {
        return Lifetimes.scopedArray(() -> {
            NDArray raw = densityNetwork.forward(encoding.encode(x)).squeeze(1);
            return Activation.softPlus(raw.add(blob(x, radius(x))));
        });
    }

    /** σ [N] and albedo [N, 3] in (0, 1), sharing one encoding pass. */
    public NDList densityAndAlbedo(NDArray x) {
        return Lifetimes.scoped(() -> {
            NDArray enc = encoding.encode(x);
            NDArray raw = densityNetwork.forward(enc).squeeze(1);
            return new NDList(
                    Activation.softPlus(raw.add(blob(x, radius(x)))), Activation.sigmoid(featureNetwork.forward(enc)));
        });
    }

    /** Albedo [N, 3] only (mesh vertex colours). */
    public NDArray albedo(NDArray x) {
        return Lifetimes.scopedArray(() -> Activation.sigmoid(featureNetwork.forward(encoding.encode(x))));
    }

    /** σ [N] and its gradient ∇σ [N, 3] with respect to x, analytically. */
    public NDList densityAndGradient(NDArray x) {
        return Lifetimes.scoped(() -> {
            NDList enc = encoding.encodeWithJacobian(x);
            Density d = densityWithGradient(x, enc.get(0), enc.get(1));
            return new NDList(d.sigma(), d.gradient());
        });
    }

    /** σ [N], albedo [N, 3] and unit normals n = −∇σ/‖∇σ‖ [N, 3], from one encoding pass. */
    public NDList densityAlbedoAndNormals(NDArray x) {
        return Lifetimes.scoped(() -> {
            NDList enc = encoding.encodeWithJacobian(x);
            Density d = densityWithGradient(x, enc.get(0), enc.get(1));
            NDArray albedo = Activation.sigmoid(featureNetwork.forward(enc.get(0)));
            return new NDList(d.sigma(), albedo, normalize(d.gradient()));
        });
    }

    /**
     * σ = softplus(raw + b): ∇σ = sigmoid(raw + b)·(∇raw + ∇b), ∇raw = J_encᵀ·(d raw / d enc), ∇b = −scale/std·x/‖x‖.
     */
    private Density densityWithGradient(NDArray x, NDArray enc, NDArray jacobian) {
        NDList mlp = densityNetwork.forwardWithInputGradient(enc);
        NDArray raw = mlp.get(0).squeeze(1);
        NDArray dRawDEnc = mlp.get(1); // [N, D]
        NDArray dRawDx = dRawDEnc.expandDims(1).matMul(jacobian).squeeze(1); // [N, 3]
        NDArray r = radius(x);
        NDArray pre = raw.add(blob(x, r));
        NDArray dBlobDx = x.div(r.expandDims(1)).mul(blobSlope);
        NDArray gradient = Activation.sigmoid(pre).expandDims(1).mul(dRawDx.add(dBlobDx));
        return new Density(Activation.softPlus(pre), gradient);
    }

    private record Density(NDArray sigma, NDArray gradient) {}

    private NDArray normalize(NDArray gradient) {
        NDArray length = gradient.square().sum(new int[] {1}, true).sqrt().maximum(normEps);
        return gradient.neg().div(length);
    }

    private NDArray radius(NDArray x) {
        return x.square().sum(new int[] {1}).add(tiny).sqrt();
    }

    private NDArray blob(NDArray x, NDArray radius) {
        // scale·(1 − r/std) = scale + (−scale/std)·r
        return radius.mul(blobSlope).add(blobScale);
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
            list.add(new Parameter(
                    prefix + "layers." + i + ".weight", group, mlp.weights().get(i)));
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
