package dev.vlm3d.engine.render;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * MVDream's random multi-view sampling: per group of n views one elevation, FOV, distance and light; the views'
 * azimuths are 360°/n apart starting at a random offset. Randomness comes from the caller's generator so that a run
 * can reproduce the cameras of any step from (seed, step).
 */
public final class CameraSampler {

    private final CameraConfig config;

    public CameraSampler(CameraConfig config) {
        this.config = config;
    }

    public CameraBatch sample(SplittableRandom rng, int step) {
        int batch = config.batchSizeAt(step);
        int size = config.resolutionAt(step);
        int n = config.viewsPerGroup();
        List<Camera> views = new ArrayList<>(batch);
        for (int g = 0; g < batch / n; g++) {
            double elevation;
            if (rng.nextDouble() < 0.5) {
                elevation = uniform(rng, config.elevationMinDeg(), config.elevationMaxDeg());
            } else {
                // MVDream's legacy "uniform on sphere" branch (it covers only [0°, 19.47°]), kept as released; see
                // docs/paper-vs-code.md
                double p0 = (config.elevationMinDeg() + 90) / 180.0;
                double p1 = (config.elevationMaxDeg() + 90) / 180.0;
                elevation = Math.toDegrees(Math.asin(2 * uniform(rng, p0, p1) - 1));
            }
            double fovy = uniform(rng, config.fovyMinDeg(), config.fovyMaxDeg());
            double distance = uniform(rng, config.distanceMin(), config.distanceMax());
            if (config.relativeRadius()) {
                distance /= Math.tan(Math.toRadians(fovy) / 2);
            }
            double offset = rng.nextDouble();
            double[] noise = {gaussian(rng), gaussian(rng), gaussian(rng)};
            double lightDistance = uniform(rng, config.lightDistanceMin(), config.lightDistanceMax());
            for (int k = 0; k < n; k++) {
                double azimuth = (offset + k) / n * 360.0 - 180.0;
                Camera c = Camera.orbit(elevation, azimuth, distance, fovy, null);
                double[] p = c.position();
                double[] dir = Camera.normalize(new double[] {
                    p[0] + noise[0] * config.lightPerturb(),
                    p[1] + noise[1] * config.lightPerturb(),
                    p[2] + noise[2] * config.lightPerturb()
                });
                double[] light = {dir[0] * lightDistance, dir[1] * lightDistance, dir[2] * lightDistance};
                views.add(new Camera(c.c2w(), fovy, elevation, azimuth, distance, light));
            }
        }
        return new CameraBatch(views, size, size);
    }

    /** {@code count} azimuths evenly over 360° at a fixed elevation, distance and FOV. */
    public static List<Camera> evaluationCameras(CameraConfig config, int count) {
        List<Camera> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            double azimuth = 360.0 * i / count;
            out.add(Camera.orbit(
                    config.evalElevationDeg(), azimuth, config.evalDistance(), config.evalFovyDeg(), null));
        }
        return out;
    }

    private static double uniform(SplittableRandom rng, double lo, double hi) {
        return lo + (hi - lo) * rng.nextDouble();
    }

    private static double gaussian(SplittableRandom rng) {
        // Box-Muller: SplittableRandom has no nextGaussian on JDK 17
        double u1 = Math.max(rng.nextDouble(), 1e-300);
        double u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
