package dev.vlm3d.engine.export;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Wavefront OBJ with per-vertex colours ({@code v x y z r g b}), y-up like the GLB. */
public final class ObjWriter {

    private ObjWriter() {}

    public static void write(Mesh mesh, OutputStream stream) throws IOException {
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8));
        float[] p = GlbWriter.toYUp(mesh.positions());
        float[] n = GlbWriter.toYUp(mesh.vertexNormals());
        float[] c = mesh.colors();
        out.write("# vlm3d-server isosurface, y-up\n");
        for (int v = 0; v < mesh.vertexCount(); v++) {
            if (c != null) {
                out.write(String.format(
                        Locale.ROOT,
                        "v %.6f %.6f %.6f %.4f %.4f %.4f%n",
                        p[v * 3],
                        p[v * 3 + 1],
                        p[v * 3 + 2],
                        c[v * 3],
                        c[v * 3 + 1],
                        c[v * 3 + 2]));
            } else {
                out.write(String.format(Locale.ROOT, "v %.6f %.6f %.6f%n", p[v * 3], p[v * 3 + 1], p[v * 3 + 2]));
            }
        }
        for (int v = 0; v < mesh.vertexCount(); v++) {
            out.write(String.format(Locale.ROOT, "vn %.5f %.5f %.5f%n", n[v * 3], n[v * 3 + 1], n[v * 3 + 2]));
        }
        int[] t = mesh.triangles();
        for (int f = 0; f < t.length; f += 3) {
            int a = t[f] + 1;
            int b = t[f + 1] + 1;
            int d = t[f + 2] + 1;
            out.write("f " + a + "//" + a + " " + b + "//" + b + " " + d + "//" + d + "\n");
        }
        out.flush();
    }
}
