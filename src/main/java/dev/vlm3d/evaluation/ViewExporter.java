package dev.vlm3d.evaluation;

import dev.vlm3d.engine.export.Mesh;
import dev.vlm3d.engine.render.Camera;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Writes one asset's benchmark views, {@code rgb_0.png … rgb_{n−1}.png} and {@code normal_0.png …}, into a folder
 * (normally {@link BenchmarkViews#assetFolder}). Defaults are the benchmark's: 120 views of 512²; smaller counts and
 * sizes are for tests and previews and are recorded as such by the caller.
 *
 * @param views       renders per asset (≥ 9 so every ensemble can pick its views)
 * @param size        square render size in pixels
 * @param supersample samples per pixel and axis for coverage (anti-aliasing)
 * @param normalize   if positive, centre the mesh's bounding box at the origin and scale its largest half-extent to
 *                    this (for GLBs from elsewhere; ours are already at the field's scale)
 */
public record ViewExporter(int views, int size, int supersample, double normalize) {

    public ViewExporter {
        if (views < 9) {
            throw new IllegalArgumentException("need at least 9 views (the 9-view ensemble), not " + views);
        }
        if (size < 8) {
            throw new IllegalArgumentException("render size must be at least 8");
        }
    }

    public static ViewExporter benchmark() {
        return new ViewExporter(BenchmarkViews.VIEWS, BenchmarkViews.SIZE, 2, 0);
    }

    /** Renders a GLB's views; returns the files written. */
    public List<Path> exportGlb(Path glb, Path folder) throws IOException {
        return export(GlbReader.read(glb), folder);
    }

    public List<Path> export(Mesh mesh, Path folder) throws IOException {
        if (mesh.triangleCount() == 0) {
            throw new IOException("the mesh has no triangles");
        }
        Mesh m = normalize > 0 ? normalized(mesh, normalize) : mesh;
        MeshRasterizer raster = new MeshRasterizer(m, supersample);
        Files.createDirectories(folder);
        List<Path> written = new ArrayList<>();
        List<Camera> cameras = BenchmarkViews.cameras(views);
        for (int i = 0; i < cameras.size(); i++) {
            BufferedImage[] images = raster.render(cameras.get(i), size);
            Path rgb = folder.resolve(BenchmarkViews.rgbName(i));
            Path normal = folder.resolve(BenchmarkViews.normalName(i));
            ImageIO.write(images[0], "png", rgb.toFile());
            ImageIO.write(images[1], "png", normal.toFile());
            written.add(rgb);
            written.add(normal);
        }
        return written;
    }

    static Mesh normalized(Mesh mesh, double halfExtent) {
        float[] p = mesh.positions();
        double[] lo = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        double[] hi = {-Double.MAX_VALUE, -Double.MAX_VALUE, -Double.MAX_VALUE};
        for (int i = 0; i < p.length; i++) {
            lo[i % 3] = Math.min(lo[i % 3], p[i]);
            hi[i % 3] = Math.max(hi[i % 3], p[i]);
        }
        double extent = 0;
        for (int d = 0; d < 3; d++) {
            extent = Math.max(extent, (hi[d] - lo[d]) / 2);
        }
        double scale = extent > 0 ? halfExtent / extent : 1;
        float[] out = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            int d = i % 3;
            out[i] = (float) ((p[i] - (lo[d] + hi[d]) / 2) * scale);
        }
        return new Mesh(out, mesh.triangles(), mesh.colors());
    }
}
