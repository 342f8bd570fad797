package dev.vlm3d.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.vlm3d.engine.field.FieldConfig;
import dev.vlm3d.engine.field.NerfField;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The explicit ∇σ of {@link NerfField#densityAndGradient} equals (a) float64 central differences of σ and (b)
 * autograd's input gradient of σ; the normals are −∇σ/‖∇σ‖. The gradients through ∇σ into the parameters are
 * checked in {@link GradientCheckTest#normalGradients}.
 */
class AnalyticNormalsTest {

    private NDManager manager;
    private NerfField field;
    private NDArray x;

    @BeforeEach
    void setUp() {
        Engine.getInstance().setRandomSeed(11);
        manager = NDManager.newBaseManager();
        // several hashed levels (table 2^10 < R³ from level 2 on) and a dense coarse level
        field = new NerfField(new FieldConfig(5, 2, 10, 4, 48, 16, 10f, 0.5f, 8), manager, DataType.FLOAT64);
        JniUtils.setGradMode(false);
        NDArray t = field.encoding().table();
        t.set(
                new NDIndex("..."),
                manager.randomUniform(-1f, 1f, t.getShape(), DataType.FLOAT32).toType(DataType.FLOAT64, false));
        JniUtils.setGradMode(true);
        x = manager.randomUniform(-0.8f, 0.8f, new Shape(64, 3), DataType.FLOAT32)
                .toType(DataType.FLOAT64, false);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void gradientEqualsCentralDifferencesOfDensity() {
        double[] analytic = field.densityAndGradient(x).get(1).toDoubleArray();
        double eps = 1e-7;
        double maxError = 0;
        double maxAbs = 0;
        for (int axis = 0; axis < 3; axis++) {
            NDArray offset = manager.zeros(new Shape(1, 3), DataType.FLOAT64);
            offset.set(new NDIndex(0, axis), eps);
            double[] plus = field.density(x.add(offset)).toDoubleArray();
            double[] minus = field.density(x.sub(offset)).toDoubleArray();
            for (int i = 0; i < plus.length; i++) {
                double numeric = (plus[i] - minus[i]) / (2 * eps);
                maxError = Math.max(maxError, Math.abs(numeric - analytic[i * 3 + axis]));
                maxAbs = Math.max(maxAbs, Math.abs(numeric));
            }
        }
        assertTrue(maxAbs > 1, "σ should vary with x at these table values, max |∇σ| = " + maxAbs);
        // a point may sit within eps of a cell face or a ReLU kink; 64 random points in float64 do not
        assertTrue(maxError <= 1e-5 * maxAbs, "max |analytic − central difference| = " + maxError + " of " + maxAbs);
    }

    @Test
    void gradientEqualsAutogradInputGradient() {
        double[] analytic = field.densityAndGradient(x).get(1).toDoubleArray();
        NDArray leaf = x.duplicate();
        leaf.setRequiresGradient(true);
        double[] autograd;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(field.density(leaf).sum());
            autograd = leaf.getGradient().toDoubleArray();
        }
        double maxError = 0;
        double maxAbs = 0;
        for (int i = 0; i < analytic.length; i++) {
            maxError = Math.max(maxError, Math.abs(analytic[i] - autograd[i]));
            maxAbs = Math.max(maxAbs, Math.abs(autograd[i]));
        }
        assertTrue(maxAbs > 1, "max |∇σ| = " + maxAbs);
        assertTrue(maxError <= 1e-12 * maxAbs, "max |analytic − autograd| = " + maxError + " of " + maxAbs);
    }

    @Test
    void normalsAreTheNegatedUnitGradient() {
        NDList all = field.densityAlbedoAndNormals(x);
        double[] gradient = field.densityAndGradient(x).get(1).toDoubleArray();
        double[] normals = all.get(2).toDoubleArray();
        double[] sigma = field.density(x).toDoubleArray();
        double[] sigmaShared = all.get(0).toDoubleArray();
        for (int i = 0; i < sigma.length; i++) {
            assertTrue(Math.abs(sigma[i] - sigmaShared[i]) <= 1e-12 * Math.max(1, sigma[i]), "σ at point " + i);
            double g0 = gradient[i * 3];
            double g1 = gradient[i * 3 + 1];
            double g2 = gradient[i * 3 + 2];
            double length = Math.sqrt(g0 * g0 + g1 * g1 + g2 * g2);
            for (int d = 0; d < 3; d++) {
                double expected = -gradient[i * 3 + d] / length;
                assertTrue(Math.abs(normals[i * 3 + d] - expected) <= 1e-12, "normal " + i + "," + d);
            }
        }
    }
}
