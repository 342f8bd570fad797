package dev.vlm3d.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.vlm3d.engine.guidance.Guidance;
import dev.vlm3d.engine.guidance.GuidanceInput;
import dev.vlm3d.engine.guidance.GuidanceResult;
import java.util.Map;

/**
 * Test double of a guidance term whose "denoiser" knows the answer: it ray-traces an analytic coloured sphere from
 * the step's cameras (c2w from the input, the FOV fixed by the test config) and returns the mean squared error to
 * it, so the SDS-like gradient pulls the renders towards the sphere.
 */
final class SphereTargetGuidance implements Guidance {

    static final double RADIUS = 0.6;
    static final float[] BACKGROUND = {1f, 1f, 1f};

    private final double fovyDeg;

    SphereTargetGuidance(double fovyDeg) {
        this.fovyDeg = fovyDeg;
    }

    /** Albedo of the sphere at unit normal n. */
    static double[] albedo(double nx, double ny, double nz) {
        return new double[] {0.5 + 0.4 * nx, 0.5 + 0.4 * ny, 0.5 + 0.4 * nz};
    }

    @Override
    public GuidanceResult compute(GuidanceInput input) {
        NDArray rgb = input.rgb();
        Shape shape = rgb.getShape();
        int b = (int) shape.get(0);
        int h = (int) shape.get(1);
        int w = (int) shape.get(2);
        float[] c2w = input.c2w().toFloatArray();
        float[] target = new float[b * h * w * 3];
        double f = 0.5 * h / Math.tan(Math.toRadians(fovyDeg) / 2);
        for (int v = 0; v < b; v++) {
            int m = v * 16;
            double ox = c2w[m + 3];
            double oy = c2w[m + 7];
            double oz = c2w[m + 11];
            for (int j = 0; j < h; j++) {
                for (int i = 0; i < w; i++) {
                    double cx = (i + 0.5 - w / 2.0) / f;
                    double cy = -(j + 0.5 - h / 2.0) / f;
                    double dx = c2w[m] * cx + c2w[m + 1] * cy - c2w[m + 2];
                    double dy = c2w[m + 4] * cx + c2w[m + 5] * cy - c2w[m + 6];
                    double dz = c2w[m + 8] * cx + c2w[m + 9] * cy - c2w[m + 10];
                    double len = Math.sqrt(dx * dx + dy * dy + dz * dz);
                    dx /= len;
                    dy /= len;
                    dz /= len;
                    double bq = ox * dx + oy * dy + oz * dz;
                    double cq = ox * ox + oy * oy + oz * oz - RADIUS * RADIUS;
                    double disc = bq * bq - cq;
                    int o = ((v * h + j) * w + i) * 3;
                    if (disc > 0) {
                        double t = -bq - Math.sqrt(disc);
                        double[] c = albedo((ox + t * dx) / RADIUS, (oy + t * dy) / RADIUS, (oz + t * dz) / RADIUS);
                        target[o] = (float) c[0];
                        target[o + 1] = (float) c[1];
                        target[o + 2] = (float) c[2];
                    } else {
                        target[o] = BACKGROUND[0];
                        target[o + 1] = BACKGROUND[1];
                        target[o + 2] = BACKGROUND[2];
                    }
                }
            }
        }
        NDArray targetArray = rgb.getManager().create(target, shape);
        NDArray loss = rgb.sub(targetArray).square().mean();
        return new GuidanceResult(loss, loss.getFloat(), Map.of());
    }

    @Override
    public void close() {}
}
