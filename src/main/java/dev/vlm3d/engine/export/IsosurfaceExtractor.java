package dev.vlm3d.engine.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.vlm3d.engine.ExportConfig;
import dev.vlm3d.engine.field.NerfField;
import dev.vlm3d.nn.HostArrays;

/**
 * Density level set → coloured mesh, following threestudio's mesh exporter: σ on an n³ lattice over the box,
 * marching tetrahedra at the threshold, components below a fraction of the largest removed, and (coarse to fine)
 * the same again inside the cleaned first mesh's bounds grown by 10% per side; vertex colours = albedo composited
 * along the inward normal (see {@link #compositeAlbedo}). As in threestudio's {@code _isosurface}, the clean-up runs
 * on the coarse pass too, so a floater does not widen the fine box.
 */
public final class IsosurfaceExtractor {

    private static final int CHUNK = 65536;

    private final ExportConfig config;

    /** σ at points [x0, y0, z0, x1, …] → one value per point. */
    @FunctionalInterface
    interface Density {
        float[] at(float[] xyz);
    }

    /** A mesh before colouring, the box its last pass was extracted in, and the level it was extracted at. */
    record Geometry(Mesh mesh, double[] lo, double[] hi, float threshold) {}

    /** threestudio's "auto" level: the mean σ of the full-box lattice points above this. */
    private static final float AUTO_EPS = 1e-5f;

    public IsosurfaceExtractor(ExportConfig config) {
        this.config = config;
    }

    public Mesh extract(NerfField field, NDManager manager) {
        return extractWithThreshold(field, manager).mesh();
    }

    /** The coloured mesh and the density level it was extracted at (the configured one or the automatic one). */
    public Extraction extractWithThreshold(NerfField field, NDManager manager) {
        Geometry g = geometry(xyz -> evaluate(field, manager, xyz, false));
        double[] lo = g.lo();
        double[] hi = g.hi();
        double spacing = Math.max(hi[0] - lo[0], Math.max(hi[1] - lo[1], hi[2] - lo[2])) / (config.isoResolution() - 1);
        return new Extraction(
                g.mesh().withColors(compositeAlbedo(field, manager, g.mesh(), 2 * spacing, COLOR_SAMPLES)),
                g.threshold());
    }

    /** A coloured mesh and the density level it was extracted at. */
    public record Extraction(Mesh mesh, float threshold) {}

    /**
     * The cleaned level set of the full box, then (coarse to fine) of the box around it, at the configured level or,
     * when that is {@link ExportConfig#AUTO_THRESHOLD}, at the mean σ of the full box's lattice points above 1e-5
     * (threestudio's {@code isosurface_threshold: auto}).
     */
    Geometry geometry(Density density) {
        double[] lo = {-1, -1, -1};
        double[] hi = {1, 1, 1};
        float[] sigma = density.at(lattice(lo, hi));
        float threshold = config.autoThreshold() ? autoThreshold(sigma) : config.isoThreshold();
        Mesh mesh = clean(MarchingTetrahedra.extract(sigma, config.isoResolution(), lo, hi, threshold));
        if (config.coarseToFine() && mesh.vertexCount() > 0) {
            double[] mn = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
            double[] mx = {-Double.MAX_VALUE, -Double.MAX_VALUE, -Double.MAX_VALUE};
            float[] p = mesh.positions();
            for (int i = 0; i < p.length; i++) {
                mn[i % 3] = Math.min(mn[i % 3], p[i]);
                mx[i % 3] = Math.max(mx[i % 3], p[i]);
            }
            for (int d = 0; d < 3; d++) {
                double grow = 0.1 * (mx[d] - mn[d]);
                lo[d] = Math.max(-1, mn[d] - grow);
                hi[d] = Math.min(1, mx[d] + grow);
            }
            mesh = clean(
                    MarchingTetrahedra.extract(density.at(lattice(lo, hi)), config.isoResolution(), lo, hi, threshold));
        }
        return new Geometry(mesh, lo, hi, threshold);
    }

    static float autoThreshold(float[] sigma) {
        double sum = 0;
        long count = 0;
        for (float v : sigma) {
            if (v > AUTO_EPS) {
                sum += v;
                count++;
            }
        }
        return count == 0 ? Float.POSITIVE_INFINITY : (float) (sum / count);
    }

    private Mesh clean(Mesh mesh) {
        return MeshCleanup.removeSmallComponents(mesh, config.minComponentFraction());
    }

    private static final int COLOR_SAMPLES = 16;

    /**
     * Vertex colour = the albedo the volume renderer composites along the inward normal through the vertex, over
     * ±{@code halfLength}. A field with a soft density shell puts the level set in front of where rendering gathers
     * its colour, and the albedo network is only trained where the rendering weights are large, so the raw albedo at
     * the vertex is biased towards whatever the low-weight front of the shell holds.
     */
    static float[] compositeAlbedo(NerfField field, NDManager manager, Mesh mesh, double halfLength, int samples) {
        int nv = mesh.vertexCount();
        float[] normals = mesh.vertexNormals();
        float[] p = mesh.positions();
        float[] points = new float[nv * samples * 3];
        double delta = 2 * halfLength / samples;
        for (int v = 0; v < nv; v++) {
            for (int k = 0; k < samples; k++) {
                double t = halfLength - (k + 0.5) * delta;
                for (int d = 0; d < 3; d++) {
                    double x = p[v * 3 + d] + normals[v * 3 + d] * t;
                    points[(v * samples + k) * 3 + d] = (float) Math.max(-1, Math.min(1, x));
                }
            }
        }
        float[] sigma = evaluate(field, manager, points, false);
        float[] albedo = evaluate(field, manager, points, true);
        float[] vertexAlbedo = evaluate(field, manager, p, true);
        float[] out = new float[nv * 3];
        for (int v = 0; v < nv; v++) {
            double transmittance = 1;
            double weightSum = 0;
            double[] c = new double[3];
            for (int k = 0; k < samples; k++) {
                int s = v * samples + k;
                double alpha = 1 - Math.exp(-sigma[s] * delta);
                double w = transmittance * alpha;
                for (int d = 0; d < 3; d++) {
                    c[d] += w * albedo[s * 3 + d];
                }
                weightSum += w;
                transmittance *= 1 - alpha;
            }
            for (int d = 0; d < 3; d++) {
                out[v * 3 + d] = weightSum > 1e-6 ? (float) (c[d] / weightSum) : vertexAlbedo[v * 3 + d];
            }
        }
        return out;
    }

    private float[] lattice(double[] lo, double[] hi) {
        int n = config.isoResolution();
        float[] points = new float[n * n * n * 3];
        int q = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < n; k++) {
                    points[q++] = (float) (lo[0] + (hi[0] - lo[0]) * i / (n - 1));
                    points[q++] = (float) (lo[1] + (hi[1] - lo[1]) * j / (n - 1));
                    points[q++] = (float) (lo[2] + (hi[2] - lo[2]) * k / (n - 1));
                }
            }
        }
        return points;
    }

    /** σ (albedo=false, one value per point) or albedo (three values per point), without gradient, chunked. */
    public static float[] evaluate(NerfField field, NDManager manager, float[] xyz, boolean albedo) {
        int count = xyz.length / 3;
        int width = albedo ? 3 : 1;
        float[] out = new float[count * width];
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (int start = 0; start < count; start += CHUNK) {
                int m = Math.min(CHUNK, count - start);
                try (NDScope scope = new NDScope()) {
                    float[] part = java.util.Arrays.copyOfRange(xyz, start * 3, (start + m) * 3);
                    NDArray x =
                            HostArrays.create(manager, part, new Shape(m, 3)).toType(field.dtype(), false);
                    NDArray v = albedo ? field.albedo(x) : field.density(x);
                    float[] values = v.toType(DataType.FLOAT32, false).toFloatArray();
                    System.arraycopy(values, 0, out, start * width, values.length);
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return out;
    }
}
