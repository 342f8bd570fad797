package dev.vlm3d.engine.export;

import java.util.HashMap;
import java.util.Map;

/**
 * Isosurface of a scalar field sampled on a regular lattice, by marching tetrahedra: every cube is split into the six
 * tetrahedra of the Kuhn (Freudenthal) triangulation around its main diagonal, which neighbouring cubes share
 * face-for-face, so the surface is watertight, and the 16 sign cases of a tetrahedron need no lookup table.
 * Vertices sit on lattice edges (linear interpolation) and are shared between faces. Faces are oriented with the
 * "inside" ({@code value > level}) behind them.
 */
public final class MarchingTetrahedra {

    private static final int[][] TETRAHEDRA = kuhnTetrahedra();

    private MarchingTetrahedra() {}

    /**
     * @param values  n³ samples, index {@code (i·n + j)·n + k} for the point {@code lo + (i, j, k)·(hi − lo)/(n − 1)}
     * @param n       samples per axis
     * @param lo      lattice min corner (xyz)
     * @param hi      lattice max corner (xyz)
     * @param level   iso level; inside means value &gt; level
     */
    public static Mesh extract(float[] values, int n, double[] lo, double[] hi, float level) {
        FloatList positions = new FloatList();
        IntList triangles = new IntList();
        Map<Long, Integer> edgeVertex = new HashMap<>();
        double[] spacing = {(hi[0] - lo[0]) / (n - 1), (hi[1] - lo[1]) / (n - 1), (hi[2] - lo[2]) / (n - 1)};
        int[] corner = new int[8];
        int[] tet = new int[4];
        for (int i = 0; i + 1 < n; i++) {
            for (int j = 0; j + 1 < n; j++) {
                for (int k = 0; k + 1 < n; k++) {
                    int inside = 0;
                    for (int c = 0; c < 8; c++) {
                        corner[c] = ((i + (c & 1)) * n + (j + ((c >> 1) & 1))) * n + (k + ((c >> 2) & 1));
                        if (values[corner[c]] > level) {
                            inside++;
                        }
                    }
                    if (inside == 0 || inside == 8) {
                        continue;
                    }
                    for (int[] t : TETRAHEDRA) {
                        for (int v = 0; v < 4; v++) {
                            tet[v] = corner[t[v]];
                        }
                        polygonise(tet, values, n, lo, spacing, level, positions, triangles, edgeVertex);
                    }
                }
            }
        }
        return new Mesh(positions.toArray(), triangles.toArray(), null);
    }

    private static void polygonise(
            int[] tet,
            float[] values,
            int n,
            double[] lo,
            double[] spacing,
            float level,
            FloatList positions,
            IntList triangles,
            Map<Long, Integer> edgeVertex) {
        int[] in = new int[4];
        int[] out = new int[4];
        int ni = 0;
        int no = 0;
        for (int v : tet) {
            if (values[v] > level) {
                in[ni++] = v;
            } else {
                out[no++] = v;
            }
        }
        if (ni == 0 || ni == 4) {
            return;
        }
        if (ni == 1 || ni == 3) {
            int apex = ni == 1 ? in[0] : out[0];
            int[] others = ni == 1 ? out : in;
            int a = vertex(apex, others[0], values, n, lo, spacing, level, positions, edgeVertex);
            int b = vertex(apex, others[1], values, n, lo, spacing, level, positions, edgeVertex);
            int c = vertex(apex, others[2], values, n, lo, spacing, level, positions, edgeVertex);
            emit(a, b, c, in, ni, out, no, n, lo, spacing, positions, triangles);
        } else {
            int a = vertex(in[0], out[0], values, n, lo, spacing, level, positions, edgeVertex);
            int b = vertex(in[0], out[1], values, n, lo, spacing, level, positions, edgeVertex);
            int c = vertex(in[1], out[1], values, n, lo, spacing, level, positions, edgeVertex);
            int d = vertex(in[1], out[0], values, n, lo, spacing, level, positions, edgeVertex);
            emit(a, b, c, in, ni, out, no, n, lo, spacing, positions, triangles);
            emit(a, c, d, in, ni, out, no, n, lo, spacing, positions, triangles);
        }
    }

    /** Adds the triangle, flipped if needed so that its normal points from the inside corners to the outside ones. */
    private static void emit(
            int a,
            int b,
            int c,
            int[] in,
            int ni,
            int[] out,
            int no,
            int n,
            double[] lo,
            double[] spacing,
            FloatList positions,
            IntList triangles) {
        if (a == b || b == c || a == c) {
            return;
        }
        double[] pa = positions.point(a);
        double[] pb = positions.point(b);
        double[] pc = positions.point(c);
        double ux = pb[0] - pa[0];
        double uy = pb[1] - pa[1];
        double uz = pb[2] - pa[2];
        double vx = pc[0] - pa[0];
        double vy = pc[1] - pa[1];
        double vz = pc[2] - pa[2];
        double nx = uy * vz - uz * vy;
        double ny = uz * vx - ux * vz;
        double nz = ux * vy - uy * vx;
        double[] ci = centroid(in, ni, n, lo, spacing);
        double[] co = centroid(out, no, n, lo, spacing);
        double dot = nx * (co[0] - ci[0]) + ny * (co[1] - ci[1]) + nz * (co[2] - ci[2]);
        if (dot >= 0) {
            triangles.add(a, b, c);
        } else {
            triangles.add(a, c, b);
        }
    }

    private static double[] centroid(int[] idx, int count, int n, double[] lo, double[] spacing) {
        double[] s = new double[3];
        for (int q = 0; q < count; q++) {
            double[] p = latticePoint(idx[q], n, lo, spacing);
            s[0] += p[0];
            s[1] += p[1];
            s[2] += p[2];
        }
        return new double[] {s[0] / count, s[1] / count, s[2] / count};
    }

    private static double[] latticePoint(int index, int n, double[] lo, double[] spacing) {
        int k = index % n;
        int j = (index / n) % n;
        int i = index / (n * n);
        return new double[] {lo[0] + i * spacing[0], lo[1] + j * spacing[1], lo[2] + k * spacing[2]};
    }

    private static int vertex(
            int p,
            int q,
            float[] values,
            int n,
            double[] lo,
            double[] spacing,
            float level,
            FloatList positions,
            Map<Long, Integer> edgeVertex) {
        long key = Math.min(p, q) * (long) Integer.MAX_VALUE + Math.max(p, q);
        Integer existing = edgeVertex.get(key);
        if (existing != null) {
            return existing;
        }
        double vp = values[p];
        double vq = values[q];
        double t = Math.abs(vq - vp) < 1e-12 ? 0.5 : (level - vp) / (vq - vp);
        t = Math.min(1.0, Math.max(0.0, t));
        double[] a = latticePoint(p, n, lo, spacing);
        double[] b = latticePoint(q, n, lo, spacing);
        int id = positions.size() / 3;
        positions.add((float) (a[0] + t * (b[0] - a[0])), (float) (a[1] + t * (b[1] - a[1])), (float)
                (a[2] + t * (b[2] - a[2])));
        edgeVertex.put(key, id);
        return id;
    }

    private static int[][] kuhnTetrahedra() {
        int[][] perms = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        int[][] out = new int[6][];
        for (int p = 0; p < 6; p++) {
            int v1 = 1 << perms[p][0];
            int v2 = v1 | (1 << perms[p][1]);
            out[p] = new int[] {0, v1, v2, 7};
        }
        return out;
    }

    static final class FloatList {
        private float[] data = new float[3 * 1024];
        private int size;

        void add(float x, float y, float z) {
            if (size + 3 > data.length) {
                data = java.util.Arrays.copyOf(data, data.length * 2);
            }
            data[size++] = x;
            data[size++] = y;
            data[size++] = z;
        }

        double[] point(int v) {
            return new double[] {data[v * 3], data[v * 3 + 1], data[v * 3 + 2]};
        }

        int size() {
            return size;
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(data, size);
        }
    }

    static final class IntList {
        private int[] data = new int[3 * 1024];
        private int size;

        void add(int a, int b, int c) {
            if (size + 3 > data.length) {
                data = java.util.Arrays.copyOf(data, data.length * 2);
            }
            data[size++] = a;
            data[size++] = b;
            data[size++] = c;
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(data, size);
        }
    }
}
