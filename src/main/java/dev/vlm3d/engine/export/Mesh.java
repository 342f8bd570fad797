package dev.vlm3d.engine.export;

/**
 * An indexed triangle mesh in the threestudio world frame (z up), with per-vertex RGB in [0, 1].
 *
 * @param positions xyz per vertex
 * @param triangles three vertex indices per face, counter-clockwise seen from outside
 * @param colors    rgb per vertex (may be null before colouring)
 */
public record Mesh(float[] positions, int[] triangles, float[] colors) {

    public int vertexCount() {
        return positions.length / 3;
    }

    public int triangleCount() {
        return triangles.length / 3;
    }

    public Mesh withColors(float[] rgb) {
        return new Mesh(positions, triangles, rgb);
    }

    /** Area-weighted unit vertex normals (a vertex without area gets +z). */
    public float[] vertexNormals() {
        double[] acc = new double[positions.length];
        for (int t = 0; t < triangles.length; t += 3) {
            int a = triangles[t] * 3;
            int b = triangles[t + 1] * 3;
            int c = triangles[t + 2] * 3;
            double ux = positions[b] - positions[a];
            double uy = positions[b + 1] - positions[a + 1];
            double uz = positions[b + 2] - positions[a + 2];
            double vx = positions[c] - positions[a];
            double vy = positions[c + 1] - positions[a + 1];
            double vz = positions[c + 2] - positions[a + 2];
            double nx = uy * vz - uz * vy;
            double ny = uz * vx - ux * vz;
            double nz = ux * vy - uy * vx;
            for (int idx : new int[] {a, b, c}) {
                acc[idx] += nx;
                acc[idx + 1] += ny;
                acc[idx + 2] += nz;
            }
        }
        float[] out = new float[positions.length];
        for (int v = 0; v < out.length; v += 3) {
            double len = Math.sqrt(acc[v] * acc[v] + acc[v + 1] * acc[v + 1] + acc[v + 2] * acc[v + 2]);
            if (len < 1e-20) {
                out[v + 2] = 1f;
            } else {
                out[v] = (float) (acc[v] / len);
                out[v + 1] = (float) (acc[v + 1] / len);
                out[v + 2] = (float) (acc[v + 2] / len);
            }
        }
        return out;
    }
}
