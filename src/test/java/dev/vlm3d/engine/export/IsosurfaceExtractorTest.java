package dev.vlm3d.engine.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm3d.engine.ExportConfig;
import org.junit.jupiter.api.Test;

/** Coarse-to-fine extraction as threestudio's isosurface(): each pass drops small components before its bounds count. */
class IsosurfaceExtractorTest {

    /** A ball of radius 0.45 at the origin and a floater of radius 0.035 near the (1, 1, 1) corner; level σ = 25. */
    private static float[] ballAndFloater(float[] xyz) {
        float[] sigma = new float[xyz.length / 3];
        for (int i = 0; i < sigma.length; i++) {
            double x = xyz[i * 3];
            double y = xyz[i * 3 + 1];
            double z = xyz[i * 3 + 2];
            double ball = 0.45 - Math.sqrt(x * x + y * y + z * z);
            double fx = x - 0.8;
            double fy = y - 0.8;
            double fz = z - 0.8;
            double floater = 0.035 - Math.sqrt(fx * fx + fy * fy + fz * fz);
            sigma[i] = (float) (25 + 100 * Math.max(ball, floater));
        }
        return sigma;
    }

    private static IsosurfaceExtractor.Geometry extract(float minComponentFraction) {
        ExportConfig config = new ExportConfig(96, 25f, true, minComponentFraction, 1, 16, 1, 16);
        return new IsosurfaceExtractor(config).geometry(IsosurfaceExtractorTest::ballAndFloater);
    }

    @Test
    void floaterRemovedOnTheCoarsePassDoesNotWidenTheFineBox() {
        IsosurfaceExtractor.Geometry g = extract(0.01f);
        for (int d = 0; d < 3; d++) {
            // the ball's bounds ±0.45 grown by 10% of its 0.9 extent
            assertEquals(-0.54, g.lo()[d], 0.03, "lo[" + d + "]");
            assertEquals(0.54, g.hi()[d], 0.03, "hi[" + d + "]");
        }
        float[] p = g.mesh().positions();
        for (float v : p) {
            assertTrue(Math.abs(v) < 0.47, "vertex at " + v + " belongs to the ball");
        }
    }

    @Test
    void withoutTheCleanUpTheFloaterStretchesTheBox() {
        // the control: the floater is on the coarse mesh, so only the clean-up keeps it out of the bounds
        IsosurfaceExtractor.Geometry g = extract(0f);
        for (int d = 0; d < 3; d++) {
            assertTrue(g.hi()[d] > 0.9, "hi[" + d + "] = " + g.hi()[d]);
        }
    }
}
