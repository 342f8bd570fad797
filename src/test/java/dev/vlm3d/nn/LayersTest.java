package dev.vlm3d.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class LayersTest {

    @Test
    void groupNormMatchesItsDefinition() {
        Engine.getInstance().setRandomSeed(7);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(2, 6, 3, 4), DataType.FLOAT64);
            NDArray gamma = m.randomNormal(new Shape(6), DataType.FLOAT64);
            NDArray beta = m.randomNormal(new Shape(6), DataType.FLOAT64);
            NDArray y = Layers.groupNorm(x, 3, gamma, beta, 1e-5f);
            double[] xs = x.toDoubleArray();
            double[] ys = y.toDoubleArray();
            double[] g = gamma.toDoubleArray();
            double[] b = beta.toDoubleArray();
            int perGroup = 2 * 12;
            for (int n = 0; n < 2; n++) {
                for (int grp = 0; grp < 3; grp++) {
                    int base = n * 72 + grp * perGroup;
                    double mean = 0;
                    double var = 0;
                    for (int i = 0; i < perGroup; i++) {
                        mean += xs[base + i];
                    }
                    mean /= perGroup;
                    for (int i = 0; i < perGroup; i++) {
                        var += Math.pow(xs[base + i] - mean, 2);
                    }
                    var /= perGroup;
                    for (int i = 0; i < perGroup; i++) {
                        int ch = grp * 2 + i / 12;
                        double expect = (xs[base + i] - mean) / Math.sqrt(var + 1e-5) * g[ch] + b[ch];
                        assertEquals(expect, ys[base + i], 1e-9);
                    }
                }
            }
        }
    }

    @Test
    void chunkedAttentionEqualsUnchunkedWithAMask() {
        Engine.getInstance().setRandomSeed(11);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray q = m.randomNormal(new Shape(2, 3, 10, 8), DataType.FLOAT64);
            NDArray k = m.randomNormal(new Shape(2, 3, 7, 8), DataType.FLOAT64);
            NDArray v = m.randomNormal(new Shape(2, 3, 7, 8), DataType.FLOAT64);
            NDArray mask = m.randomUniform(-3f, 0f, new Shape(1, 1, 10, 7)).toType(DataType.FLOAT64, false);
            double[] full = Layers.attention(q, k, v, mask, 0.35, 0).toDoubleArray();
            double[] chunked = Layers.attention(q, k, v, mask, 0.35, 3).toDoubleArray();
            for (int i = 0; i < full.length; i++) {
                assertEquals(full[i], chunked[i], 1e-12);
            }
        }
    }

    @Test
    void rmsNormAndGeluTanhFollowTheirFormulas() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new double[] {1, -2, 3, 0.5}).reshape(1, 4);
            NDArray w = m.create(new double[] {1, 2, 0.5, 1});
            double rms = Math.sqrt((1 + 4 + 9 + 0.25) / 4 + 1e-6);
            double[] y = Layers.rmsNorm(x, w, 1e-6f).toDoubleArray();
            assertEquals(-2 / rms * 2, y[1], 1e-12);
            double g = Layers.geluTanh(m.create(new double[] {1.0})).toDoubleArray()[0];
            assertEquals(0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (1 + 0.044715))), g, 1e-12);
        }
    }
}
