package dev.vlm3d.engine.export;

/** Connected-component filtering (threestudio's remove_outliers). */
public final class MeshCleanup {

    private MeshCleanup() {}

    /** Drops components (connected through shared vertices) with fewer faces than {@code fraction} × the largest. */
    public static Mesh removeSmallComponents(Mesh mesh, double fraction) {
        int nv = mesh.vertexCount();
        int[] parent = new int[nv];
        for (int i = 0; i < nv; i++) {
            parent[i] = i;
        }
        int[] tri = mesh.triangles();
        for (int t = 0; t < tri.length; t += 3) {
            union(parent, tri[t], tri[t + 1]);
            union(parent, tri[t], tri[t + 2]);
        }
        int[] faces = new int[nv];
        int largest = 0;
        for (int t = 0; t < tri.length; t += 3) {
            int r = find(parent, tri[t]);
            faces[r]++;
            largest = Math.max(largest, faces[r]);
        }
        double minFaces = fraction * largest;
        int[] remap = new int[nv];
        java.util.Arrays.fill(remap, -1);
        int keptVertices = 0;
        int keptFaces = 0;
        int[] newTri = new int[tri.length];
        for (int t = 0; t < tri.length; t += 3) {
            if (faces[find(parent, tri[t])] < minFaces) {
                continue;
            }
            for (int q = 0; q < 3; q++) {
                int v = tri[t + q];
                if (remap[v] < 0) {
                    remap[v] = keptVertices++;
                }
                newTri[keptFaces * 3 + q] = remap[v];
            }
            keptFaces++;
        }
        float[] pos = new float[keptVertices * 3];
        float[] col = mesh.colors() == null ? null : new float[keptVertices * 3];
        for (int v = 0; v < nv; v++) {
            if (remap[v] >= 0) {
                System.arraycopy(mesh.positions(), v * 3, pos, remap[v] * 3, 3);
                if (col != null) {
                    System.arraycopy(mesh.colors(), v * 3, col, remap[v] * 3, 3);
                }
            }
        }
        return new Mesh(pos, java.util.Arrays.copyOf(newTri, keptFaces * 3), col);
    }

    private static int find(int[] parent, int x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }

    private static void union(int[] parent, int a, int b) {
        int ra = find(parent, a);
        int rb = find(parent, b);
        if (ra != rb) {
            parent[ra] = rb;
        }
    }
}
