package dev.vlm3d.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScalarsTest {

    /** Churns direct buffers and asks for a collection, so that a freed Java buffer would be reused. */
    static void pressureDirectMemory() {
        for (int round = 0; round < 5; round++) {
            System.gc();
            List<ByteBuffer> junk = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(4);
                b.putFloat(0, 1234.5f);
                junk.add(b);
            }
        }
    }

    @Test
    void constantsSavedForBackwardSurviveCollection() {
        try (NDManager m = NDManager.newBaseManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray x = m.ones(new Shape(4));
            x.setRequiresGradient(true);
            NDArray y = x.mul(Scalars.like(x, 3)).sum();
            pressureDirectMemory();
            gc.backward(y);
            assertArrayEquals(new float[] {3, 3, 3, 3}, x.getGradient().toFloatArray());
        }
    }

    @Test
    void attentionGradientSurvivesCollection() {
        try (NDManager m = NDManager.newBaseManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray q = m.ones(new Shape(1, 2, 4));
            q.setRequiresGradient(true);
            NDArray k = m.arange(8f).reshape(1, 2, 4).div(8);
            NDArray v = m.arange(8f).reshape(1, 2, 4);
            NDArray out = Layers.attention(q, k, v, null, 0.5, 0).sum();
            pressureDirectMemory();
            gc.backward(out);
            float[] g = q.getGradient().toFloatArray();
            // d/dq of Σ softmax(0.5·q·kᵀ)·v, two keys k0 = (0,1,2,3)/8, k1 = (4,5,6,7)/8, values summing to 6 and 22
            double s0 = 0.5 * (0 + 1 + 2 + 3) / 8.0;
            double s1 = 0.5 * (4 + 5 + 6 + 7) / 8.0;
            double p0 = Math.exp(s0) / (Math.exp(s0) + Math.exp(s1));
            double p1 = 1 - p0;
            float[] expected = new float[8];
            for (int row = 0; row < 2; row++) {
                for (int d = 0; d < 4; d++) {
                    double dk = 4 / 8.0; // k1[d] − k0[d]
                    expected[row * 4 + d] = (float) (p0 * p1 * (22 - 6) * 0.5 * dk);
                }
            }
            assertArrayEquals(expected, g, 1e-5f);
        }
    }
}
