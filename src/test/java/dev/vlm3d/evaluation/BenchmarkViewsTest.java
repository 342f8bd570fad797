package dev.vlm3d.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.vlm3d.engine.export.GlbWriter;
import dev.vlm3d.engine.export.Mesh;
import dev.vlm3d.engine.render.Camera;
import java.awt.image.BufferedImage;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GPTEval3D's view layout (docs/evaluation.md): names, counts, sizes, the camera path and the view selection. */
class BenchmarkViewsTest {

    @Test
    void theTestCameraPathIsThreestudios() {
        List<Camera> cams = BenchmarkViews.cameras(BenchmarkViews.VIEWS);
        assertThat(cams).hasSize(120);
        double[] az = BenchmarkViews.azimuths(120);
        // linspace(0, 360, 120): the endpoint is included, so the step is 360/119 and the last view repeats the first
        assertThat(az[0]).isEqualTo(0.0);
        assertThat(az[119]).isEqualTo(360.0);
        assertThat(az[1]).isCloseTo(360.0 / 119, within(1e-12));
        for (int i = 0; i < 120; i++) {
            Camera c = cams.get(i);
            assertThat(c.elevationDeg()).isEqualTo(15.0);
            assertThat(c.distance()).isEqualTo(1.5);
            assertThat(c.fovyDeg()).isEqualTo(70.0);
            assertThat(c.azimuthDeg()).isEqualTo(az[i]);
            double[] p = c.position();
            double e = Math.toRadians(15);
            double a = Math.toRadians(az[i]);
            assertThat(p[0]).isCloseTo(1.5 * Math.cos(e) * Math.cos(a), within(1e-12));
            assertThat(p[1]).isCloseTo(1.5 * Math.cos(e) * Math.sin(a), within(1e-12));
            assertThat(p[2]).isCloseTo(1.5 * Math.sin(e), within(1e-12));
        }
        for (int k = 0; k < 16; k++) {
            assertThat(cams.get(119).c2w()[k]).isCloseTo(cams.get(0).c2w()[k], within(1e-12));
        }
    }

    @Test
    void theBenchmarksViewSelectionPicksTheIntendedViews() {
        assertThat(BenchmarkViews.selectedViews(120, 1)).containsExactly(0);
        assertThat(BenchmarkViews.selectedViews(120, 4)).containsExactly(0, 30, 60, 90);
        // range(0, 120, 13) has ten ids; the 3×3 grid keeps the first nine
        assertThat(BenchmarkViews.selectedViews(120, 9)).containsExactly(0, 13, 26, 39, 52, 65, 78, 91, 104);
        assertThat(BenchmarkViews.selectedViews(12, 4)).containsExactly(0, 3, 6, 9);
    }

    @Test
    void aGlbIsExportedInTheBenchmarksLayoutAtItsDefaults(@TempDir Path dir) throws Exception {
        Path glb = dir.resolve("cube.glb");
        try (OutputStream o = Files.newOutputStream(glb)) {
            GlbWriter.write(faceColouredCube(0.4f), o);
        }
        Path asset = BenchmarkViews.assetFolder(dir.resolve("methods/ours"), 7);
        assertThat(asset).isEqualTo(dir.resolve("methods/ours/7/0"));
        ViewExporter.benchmark().exportGlb(glb, asset);

        List<String> expected = new ArrayList<>();
        IntStream.range(0, 120).forEach(i -> expected.add("rgb_" + i + ".png"));
        IntStream.range(0, 120).forEach(i -> expected.add("normal_" + i + ".png"));
        try (var files = Files.list(asset)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrderElementsOf(expected);
        }
        assertThat(BenchmarkViews.countViews(asset)).isEqualTo(120);
        BufferedImage first = ImageIO.read(asset.resolve("rgb_0.png").toFile());
        assertThat(first.getWidth()).isEqualTo(512);
        assertThat(first.getHeight()).isEqualTo(512);
        assertThat(ImageIO.read(asset.resolve("normal_119.png").toFile()).getWidth())
                .isEqualTo(512);

        // the 4-view selection on our folder looks at +x, +y, −x, −y (azimuths 0°, 90.8°, 181.5°, 272.3°)
        List<Integer> four = BenchmarkViews.selectedViews(BenchmarkViews.countViews(asset), 4);
        int[] faceColours = {0xFF0000, 0x00FF00, 0x00FFFF, 0xFF00FF};
        for (int k = 0; k < 4; k++) {
            BufferedImage rgb =
                    ImageIO.read(asset.resolve("rgb_" + four.get(k) + ".png").toFile());
            // just right of the centre column, below the horizon: the face the camera looks at, not the top face
            assertThat(rgb.getRGB(256, 300) & 0xFFFFFF)
                    .as("view %d", four.get(k))
                    .isEqualTo(faceColours[k]);
        }
        // normals: (n + 1)/2 of the +x face at view 0, black where there is no surface; RGB background white
        BufferedImage normal = ImageIO.read(asset.resolve("normal_0.png").toFile());
        assertThat(normal.getRGB(256, 300) & 0xFFFFFF).isEqualTo(0xFF8080);
        assertThat(normal.getRGB(2, 2) & 0xFFFFFF).isZero();
        assertThat(first.getRGB(2, 2) & 0xFFFFFF).isEqualTo(0xFFFFFF);
        // view 119 is view 0 again
        BufferedImage last = ImageIO.read(asset.resolve("rgb_119.png").toFile());
        assertThat(last.getRGB(256, 300)).isEqualTo(first.getRGB(256, 300));
    }

    @Test
    void glbRoundTripKeepsTheZUpWorld(@TempDir Path dir) throws Exception {
        Mesh cube = faceColouredCube(0.3f);
        Path glb = dir.resolve("c.glb");
        try (OutputStream o = Files.newOutputStream(glb)) {
            GlbWriter.write(cube, o);
        }
        Mesh back = GlbReader.read(glb);
        assertThat(back.triangles()).containsExactly(cube.triangles());
        for (int i = 0; i < cube.positions().length; i++) {
            assertThat(back.positions()[i]).isCloseTo(cube.positions()[i], within(1e-6f));
            assertThat(back.colors()[i]).isCloseTo(cube.colors()[i], within(1e-6f));
        }
    }

    /** A cube of half-size h, one flat colour per face: +x red, +y green, −x cyan, −y magenta, ±z blue/yellow. */
    static Mesh faceColouredCube(float h) {
        int[][] axes = {{0, 1}, {1, 1}, {0, -1}, {1, -1}, {2, 1}, {2, -1}};
        float[][] colours = {{1, 0, 0}, {0, 1, 0}, {0, 1, 1}, {1, 0, 1}, {0, 0, 1}, {1, 1, 0}};
        float[] pos = new float[6 * 4 * 3];
        float[] col = new float[6 * 4 * 3];
        int[] tri = new int[6 * 6];
        for (int f = 0; f < 6; f++) {
            int axis = axes[f][0];
            int sign = axes[f][1];
            int u = (axis + 1) % 3;
            int v = (axis + 2) % 3;
            float[][] corners = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
            for (int c = 0; c < 4; c++) {
                int at = (f * 4 + c) * 3;
                pos[at + axis] = sign * h;
                pos[at + u] = corners[c][0] * h;
                pos[at + v] = corners[c][1] * h * sign;
                System.arraycopy(colours[f], 0, col, at, 3);
            }
            int b = f * 4;
            int[] quad = {b, b + 1, b + 2, b, b + 2, b + 3};
            System.arraycopy(quad, 0, tri, f * 6, 6);
        }
        return new Mesh(pos, tri, col);
    }
}
