package dev.vlm3d.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.vlm3d.engine.field.EnvironmentBackground;
import dev.vlm3d.engine.field.FieldConfig;
import dev.vlm3d.engine.field.NerfField;
import dev.vlm3d.engine.field.Parameter;
import dev.vlm3d.engine.render.Camera;
import dev.vlm3d.engine.render.CameraBatch;
import dev.vlm3d.engine.render.OccupancyGrid;
import dev.vlm3d.engine.render.RayBatch;
import dev.vlm3d.engine.render.RenderConfig;
import dev.vlm3d.engine.render.RenderOptions;
import dev.vlm3d.engine.render.RenderOutput;
import dev.vlm3d.engine.render.ShadingMode;
import dev.vlm3d.engine.render.VolumeRenderer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * float64 central finite differences against autograd for the hash encoding, the analytic normals (their gradients
 * into the table and the density MLP, through the explicit ∇σ) and the full renderer (rgb, opacity, depth, composited normals, diffuse shading). The orientation loss is left out of the
 * renderer check: it weights by stopgrad(w) on purpose, so its autograd gradient is not the derivative of its value;
 * its path through the normals is what the normal check covers. Entries checked: the largest-gradient entries of
 * each parameter plus random ones. Pruning thresholds are zeroed in the renderer check so that the sample set does
 * not change under the perturbation.
 */
class GradientCheckTest {

    private static final double H = 1e-6;
    private NDManager manager;

    @BeforeEach
    void setUp() {
        Engine.getInstance().setRandomSeed(7);
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static FieldConfig smallField() {
        return new FieldConfig(4, 2, 10, 4, 32, 16, 10f, 0.5f, 8);
    }

    private NerfField field() {
        NerfField field = new NerfField(smallField(), manager, DataType.FLOAT64);
        // larger table entries than the 1e-4 init so that the encoding matters to the output
        noGrad(() -> {
            NDArray t = field.encoding().table();
            t.set(
                    new NDIndex("..."),
                    manager.randomUniform(-1f, 1f, t.getShape(), DataType.FLOAT32)
                            .toType(DataType.FLOAT64, false));
            return null;
        });
        return field;
    }

    @Test
    void hashEncodingGradients() {
        NerfField field = field();
        NDArray x = manager.randomUniform(-0.9f, 0.9f, new Shape(64, 3), DataType.FLOAT32)
                .toType(DataType.FLOAT64, false);
        x.setRequiresGradient(true);
        NDArray weights = manager.randomNormal(new Shape(64, field.config().encodedDim()), DataType.FLOAT32)
                .toType(DataType.FLOAT64, false);
        Supplier<NDArray> loss = () -> field.encoding().encode(x).mul(weights).sum();
        check("encoding.table", field.encoding().table(), loss);
        check("encoding.x", x, loss);
    }

    @Test
    void normalGradients() {
        NerfField field = field();
        NDArray x = manager.randomUniform(-0.6f, 0.6f, new Shape(32, 3), DataType.FLOAT32)
                .toType(DataType.FLOAT64, false);
        NDArray weights =
                manager.randomNormal(new Shape(32, 3), DataType.FLOAT32).toType(DataType.FLOAT64, false);
        Supplier<NDArray> loss =
                () -> field.densityAlbedoAndNormals(x).get(2).mul(weights).sum();
        for (Parameter p : field.parameters()) {
            if (!p.name().contains("feature_network")) { // normals depend on density only
                check("normals." + p.name(), p.array(), loss);
            }
        }
    }

    @Test
    void rendererGradients() {
        NerfField field = field();
        FieldConfig fc = smallField();
        EnvironmentBackground background = new EnvironmentBackground(fc, manager, DataType.FLOAT64);
        RenderConfig rc = new RenderConfig(24, 8, 16, 0.95f, 0f, 0f, 0f, 0, 0f, 0f, 4096);
        OccupancyGrid grid = new OccupancyGrid(rc, manager);
        VolumeRenderer renderer = new VolumeRenderer(rc);
        Camera camera = Camera.orbit(20, 30, 2.0, 40, new double[] {1.5, 0.5, 1.0});
        CameraBatch batch = new CameraBatch(List.of(camera), 4, 4);
        RayBatch rays = RayBatch.of(batch, manager, DataType.FLOAT64, false);
        NDArray wRgb =
                manager.randomNormal(new Shape(1, 4, 4, 3), DataType.FLOAT32).toType(DataType.FLOAT64, false);
        NDArray wNormal =
                manager.randomNormal(new Shape(1, 4, 4, 3), DataType.FLOAT32).toType(DataType.FLOAT64, false);
        NDArray wScalar =
                manager.randomNormal(new Shape(1, 4, 4, 1), DataType.FLOAT32).toType(DataType.FLOAT64, false);
        RenderOptions options = new RenderOptions(ShadingMode.DIFFUSE, 0.7f, true, null);
        Supplier<NDArray> loss = () -> {
            RenderOutput out = renderer.render(field, background, grid, rays, new int[] {1, 4, 4}, options);
            return out.rgb()
                    .mul(wRgb)
                    .sum()
                    .add(out.normal().mul(wNormal).sum())
                    .add(out.opacity().mul(wScalar).sum())
                    .add(out.depth().mul(wScalar).sum().mul(0.1));
        };
        List<Parameter> all = new ArrayList<>(field.parameters());
        all.addAll(background.parameters());
        for (Parameter p : all) {
            check("render." + p.name(), p.array(), loss);
        }
    }

    /** Compares autograd with central differences on the 4 largest-gradient entries and 4 random ones. */
    private void check(String name, NDArray param, Supplier<NDArray> loss) {
        boolean wasLeafGrad = param.hasGradient();
        if (!wasLeafGrad) {
            param.setRequiresGradient(true);
        }
        // backward accumulates into every leaf; start this parameter from zero
        noGrad(() -> {
            JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) param);
            return null;
        });
        double[] grad;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray l = loss.get();
            gc.backward(l);
            grad = param.getGradient().toDoubleArray();
        }
        noGrad(() -> {
            JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) param);
            return null;
        });
        List<Integer> entries = new ArrayList<>();
        Integer[] order = new Integer[grad.length];
        for (int i = 0; i < grad.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(Math.abs(grad[b]), Math.abs(grad[a])));
        for (int i = 0; i < Math.min(4, grad.length); i++) {
            entries.add(order[i]);
        }
        Random random = new Random(name.hashCode());
        for (int i = 0; i < 4; i++) {
            entries.add(random.nextInt(grad.length));
        }
        double maxAbs = java.util.Arrays.stream(grad).map(Math::abs).max().orElse(0);
        assertTrue(maxAbs > 0, name + ": gradient is identically zero");
        long cols = param.getShape().dimension() > 1 ? param.getShape().get(1) : 1;
        for (int flat : entries) {
            NDIndex index =
                    param.getShape().dimension() > 1 ? new NDIndex(flat / cols, flat % cols) : new NDIndex(flat);
            double original = param.get(index).toDoubleArray()[0];
            double plus = evaluate(param, index, original + H, loss);
            double minus = evaluate(param, index, original - H, loss);
            evaluate(param, index, original, loss);
            double numeric = (plus - minus) / (2 * H);
            double error = Math.abs(numeric - grad[flat]);
            assertTrue(
                    error <= 1e-5 * Math.max(1.0, maxAbs),
                    name + "[" + flat + "]: autograd " + grad[flat] + " vs finite difference " + numeric);
        }
    }

    private double evaluate(NDArray param, NDIndex index, double value, Supplier<NDArray> loss) {
        return noGrad(() -> {
            param.set(index, value);
            return loss.get().toDoubleArray()[0];
        });
    }

    private static <T> T noGrad(Supplier<T> body) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(grad);
        }
    }
}
