package dev.vlm3d.evaluation;

import dev.vlm3d.engine.export.Mesh;
import dev.vlm3d.engine.render.Camera;
import java.awt.image.BufferedImage;

/**
 * A z-buffer rasterizer for the benchmark views of a mesh (the GLB of a finished job, or any GLB): RGB = the vertex
 * colours unlit over a white background, normal = world-space normal encoded (n + 1)/2 and multiplied by coverage,
 * i.e. black where there is no surface, as threestudio's comp_normal does (docs/evaluation.md). Attributes are
 * interpolated perspective-correctly; {@code supersample}² samples per pixel give the coverage.
 *
 * <p>Camera conventions are the renderer's ({@link Camera}: z-up world, c2w columns right, up, −look; pixel centres
 * at i + 0.5, row 0 at the top), so a mesh and the field it was extracted from line up.
 */
public final class MeshRasterizer {

    private final Mesh mesh;
    private final float[] normals;
    private final int supersample;

    public MeshRasterizer(Mesh mesh, int supersample) {
        if (supersample < 1) {
            throw new IllegalArgumentException("supersample must be ≥ 1");
        }
        this.mesh = mesh;
        this.normals = mesh.vertexNormals();
        this.supersample = supersample;
    }

    /** @return {rgb, normal}, {@code size}² each */
    public BufferedImage[] render(Camera camera, int size) {
        int s = size * supersample;
        float[] depth = new float[s * s];
        float[] rgb = new float[s * s * 3];
        float[] nrm = new float[s * s * 3];
        boolean[] hit = new boolean[s * s];
        java.util.Arrays.fill(depth, Float.POSITIVE_INFINITY);
        double[] m = camera.c2w();
        double f = 0.5 * s / Math.tan(Math.toRadians(camera.fovyDeg()) / 2);
        int nv = mesh.vertexCount();
        // camera-space depth (distance along the view axis) and pixel coordinates of every vertex
        double[] px = new double[nv];
        double[] py = new double[nv];
        double[] pz = new double[nv];
        float[] p = mesh.positions();
        for (int v = 0; v < nv; v++) {
            double dx = p[v * 3] - m[3];
            double dy = p[v * 3 + 1] - m[7];
            double dz = p[v * 3 + 2] - m[11];
            // R^T (p − t): rows of R^T are the c2w columns
            double cx = m[0] * dx + m[4] * dy + m[8] * dz;
            double cy = m[1] * dx + m[5] * dy + m[9] * dz;
            double cz = m[2] * dx + m[6] * dy + m[10] * dz;
            double w = -cz;
            pz[v] = w;
            px[v] = s / 2.0 + f * cx / w;
            py[v] = s / 2.0 - f * cy / w;
        }
        int[] t = mesh.triangles();
        float[] col = mesh.colors();
        for (int k = 0; k < t.length; k += 3) {
            int a = t[k];
            int b = t[k + 1];
            int c = t[k + 2];
            if (pz[a] < 1e-3 || pz[b] < 1e-3 || pz[c] < 1e-3) {
                continue; // behind or at the camera: never the case for objects inside the orbit
            }
            double area = (px[b] - px[a]) * (py[c] - py[a]) - (px[c] - px[a]) * (py[b] - py[a]);
            if (Math.abs(area) < 1e-12) {
                continue;
            }
            int x0 = Math.max(0, (int) Math.floor(Math.min(px[a], Math.min(px[b], px[c]))));
            int x1 = Math.min(s - 1, (int) Math.ceil(Math.max(px[a], Math.max(px[b], px[c]))));
            int y0 = Math.max(0, (int) Math.floor(Math.min(py[a], Math.min(py[b], py[c]))));
            int y1 = Math.min(s - 1, (int) Math.ceil(Math.max(py[a], Math.max(py[b], py[c]))));
            for (int y = y0; y <= y1; y++) {
                double yc = y + 0.5;
                for (int x = x0; x <= x1; x++) {
                    double xc = x + 0.5;
                    double wa = ((px[b] - xc) * (py[c] - yc) - (px[c] - xc) * (py[b] - yc)) / area;
                    double wb = ((px[c] - xc) * (py[a] - yc) - (px[a] - xc) * (py[c] - yc)) / area;
                    double wc = 1 - wa - wb;
                    if (wa < 0 || wb < 0 || wc < 0) {
                        continue;
                    }
                    // perspective-correct: interpolate attribute/w and 1/w linearly in screen space
                    double ia = wa / pz[a];
                    double ib = wb / pz[b];
                    double ic = wc / pz[c];
                    double inv = ia + ib + ic;
                    float z = (float) (1 / inv);
                    int pix = y * s + x;
                    if (z >= depth[pix]) {
                        continue;
                    }
                    depth[pix] = z;
                    hit[pix] = true;
                    double la = ia / inv;
                    double lb = ib / inv;
                    double lc = ic / inv;
                    double nx = la * normals[a * 3] + lb * normals[b * 3] + lc * normals[c * 3];
                    double ny = la * normals[a * 3 + 1] + lb * normals[b * 3 + 1] + lc * normals[c * 3 + 1];
                    double nz = la * normals[a * 3 + 2] + lb * normals[b * 3 + 2] + lc * normals[c * 3 + 2];
                    double len = Math.sqrt(nx * nx + ny * ny + nz * nz);
                    if (len < 1e-12) {
                        nz = 1;
                        len = 1;
                    }
                    for (int d = 0; d < 3; d++) {
                        rgb[pix * 3 + d] = (float) (la * col[a * 3 + d] + lb * col[b * 3 + d] + lc * col[c * 3 + d]);
                    }
                    nrm[pix * 3] = (float) (nx / len);
                    nrm[pix * 3 + 1] = (float) (ny / len);
                    nrm[pix * 3 + 2] = (float) (nz / len);
                }
            }
        }
        BufferedImage rgbImage = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        BufferedImage normalImage = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        double samples = supersample * supersample;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double[] c = new double[3];
                double[] n = new double[3];
                for (int sy = 0; sy < supersample; sy++) {
                    for (int sx = 0; sx < supersample; sx++) {
                        int pix = (y * supersample + sy) * s + x * supersample + sx;
                        for (int d = 0; d < 3; d++) {
                            c[d] += hit[pix] ? rgb[pix * 3 + d] : 1.0;
                            n[d] += hit[pix] ? (nrm[pix * 3 + d] + 1) / 2 : 0.0;
                        }
                    }
                }
                rgbImage.setRGB(x, y, pack(c[0] / samples, c[1] / samples, c[2] / samples));
                normalImage.setRGB(x, y, pack(n[0] / samples, n[1] / samples, n[2] / samples));
            }
        }
        return new BufferedImage[] {rgbImage, normalImage};
    }

    static int pack(double r, double g, double b) {
        return (channel(r) << 16) | (channel(g) << 8) | channel(b);
    }

    private static int channel(double v) {
        return (int) Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
}
