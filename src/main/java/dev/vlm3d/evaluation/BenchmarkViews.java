package dev.vlm3d.evaluation;

import dev.vlm3d.engine.render.Camera;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * GPTEval3D's view layout: per asset {@code <method>/<prompt id>/0/rgb_<i>.png} and {@code normal_<i>.png}, i
 * unpadded from 0, rendered on threestudio's test camera path (its {@code uncond.py} test split: azimuths
 * {@code linspace(0, 360, n)} with the endpoint included, so view 0 and view n−1 coincide; elevation 15°, radius 1.5,
 * vertical FOV 70°, 512², the light at the camera). See docs/evaluation.md for what the benchmark leaves open.
 */
public final class BenchmarkViews {

    public static final int VIEWS = 120;
    public static final int SIZE = 512;
    public static final double ELEVATION_DEG = 15.0;
    public static final double DISTANCE = 1.5;
    public static final double FOVY_DEG = 70.0;
    /** The benchmark reads seed folder "0" only. */
    public static final String SEED_FOLDER = "0";

    private BenchmarkViews() {}

    /** torch.linspace(0, 360, n): n azimuths, the first 0°, the last 360°. */
    public static double[] azimuths(int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = n == 1 ? 0 : 360.0 * i / (n - 1);
        }
        return a;
    }

    /** The test camera path with {@code n} views. */
    public static List<Camera> cameras(int n) {
        List<Camera> out = new ArrayList<>(n);
        for (double az : azimuths(n)) {
            out.add(Camera.orbit(ELEVATION_DEG, az, DISTANCE, FOVY_DEG, null));
        }
        return out;
    }

    public static String rgbName(int view) {
        return String.format(Locale.ROOT, "rgb_%d.png", view);
    }

    public static String normalName(int view) {
        return String.format(Locale.ROOT, "normal_%d.png", view);
    }

    /** The folder of one asset's renders under a method folder. */
    public static Path assetFolder(Path methodDir, int promptId) {
        return methodDir.resolve(Integer.toString(promptId)).resolve(SEED_FOLDER);
    }

    /**
     * The views the benchmark composes from {@code available} renders for an ensemble of {@code nviews}:
     * {@code range(0, N, N // nviews)}, of which the grid of √nviews columns keeps only complete rows (so 9 views of
     * 120 are 0, 13, …, 104: the step-13 range has a tenth id, 117, that never fills a row). Like the reference, a
     * count N that is not a multiple of nviews can leave more complete rows than √nviews.
     */
    public static List<Integer> selectedViews(int available, int nviews) {
        int cols = (int) Math.round(Math.sqrt(nviews));
        if (cols * cols != nviews) {
            throw new IllegalArgumentException("views per method must be a square number, not " + nviews);
        }
        int step = available / nviews;
        if (step == 0) {
            // range() with step 0 raises in the reference
            throw new IllegalArgumentException(available + " renders are fewer than the " + nviews + " views asked");
        }
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < available; i += step) {
            ids.add(i % available);
        }
        int keep = ids.size() / cols * cols;
        return List.copyOf(ids.subList(0, keep));
    }

    /** Number of rendered views in an asset folder; the RGB and normal counts must agree, as the benchmark asserts. */
    public static int countViews(Path assetFolder) {
        int n = 0;
        while (Files.isRegularFile(assetFolder.resolve(rgbName(n)))) {
            n++;
        }
        if (n == 0
                || !Files.isRegularFile(assetFolder.resolve(normalName(n - 1)))
                || Files.isRegularFile(assetFolder.resolve(normalName(n)))) {
            throw new IllegalArgumentException(assetFolder + ": need rgb_0.png … and as many normal_*.png");
        }
        return n;
    }
}
