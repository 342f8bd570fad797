package dev.vlm3d.engine.guidance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class BilinearResizeTest {

    /** For upsampling, libtorch's antialiased bilinear equals the plain one, so DJL's interpolate is a reference. */
    @Test
    void upsamplingAtNonIntegerRatiosMatchesLibtorch() {
        Engine.getInstance().setRandomSeed(21);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray img = m.randomUniform(0f, 1f, new Shape(2, 3, 24, 17));
            NDArray ours = BilinearResize.resize(img, 64, 40);
            NDArray theirs = img.getNDArrayInternal().interpolation(new long[] {64, 40}, 1, false);
            assertArrayEquals(theirs.toFloatArray(), ours.toFloatArray(), 1e-6f);
        }
    }

    /** Downsampling by 2 without antialias samples the midpoint of each pixel pair: weights ½, ½. */
    @Test
    void downsamplingByTwoAveragesPairsWithoutAntialias() {
        float[] w = BilinearResize.weights(8, 4);
        for (int d = 0; d < 4; d++) {
            for (int s = 0; s < 8; s++) {
                assertEquals(s == 2 * d || s == 2 * d + 1 ? 0.5f : 0f, w[d * 8 + s], 0f);
            }
        }
    }
}
