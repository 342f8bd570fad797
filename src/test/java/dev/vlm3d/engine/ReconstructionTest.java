package dev.vlm3d.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.vlm3d.engine.export.AssetExporter;
import dev.vlm3d.engine.export.ExportResult;
import dev.vlm3d.engine.export.ExportedArtifact;
import dev.vlm3d.engine.export.Mesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: a guidance whose "denoiser" returns renders of an analytic coloured sphere (radius 0.6) drives the loop;
 * the exported mesh must be that sphere. Tolerances: median vertex radius within 0.05 of 0.6, 90% of vertices within
 * 0.1 of it; mean absolute vertex-colour error below 0.08 (the colour range is 0.1..0.9). A 32² render with 64 samples
 * per ray and a 48³ export lattice cannot resolve better than a few hundredths.
 */
class ReconstructionTest {

    static final int STEPS = Integer.getInteger("test.recon.steps", 100);

    @Test
    void loopRebuildsAnalyticSphereAndExportsValidAssets(@TempDir Path dir) throws Exception {
        RunConfig config = TestConfigs.reconstruction(STEPS, 32);
        try (Vlm3dRun run = new Vlm3dRun(config, new SphereTargetGuidance(TestConfigs.FOVY), null, Device.cpu())) {
            assertEquals(RunOutcome.COMPLETED, run.run(RunHooks.none()));
            List<StepReport> history = run.history();
            double early = history.subList(0, 10).stream()
                    .mapToDouble(StepReport::guidanceLoss)
                    .average()
                    .orElseThrow();
            double late = history.subList(STEPS - 10, STEPS).stream()
                    .mapToDouble(StepReport::guidanceLoss)
                    .average()
                    .orElseThrow();
            assertTrue(late < early * 0.3, "image loss fell from " + early + " to " + late);

            AssetExporter exporter = new AssetExporter(config.export());
            Mesh mesh = exporter.extractMesh(run);
            assertTrue(mesh.triangleCount() > 200, "mesh has " + mesh.triangleCount() + " faces");
            double[] radii = new double[mesh.vertexCount()];
            double colourError = 0;
            float[] p = mesh.positions();
            float[] c = mesh.colors();
            for (int v = 0; v < radii.length; v++) {
                double x = p[v * 3];
                double y = p[v * 3 + 1];
                double z = p[v * 3 + 2];
                radii[v] = Math.sqrt(x * x + y * y + z * z);
                double[] truth = SphereTargetGuidance.albedo(x / radii[v], y / radii[v], z / radii[v]);
                for (int d = 0; d < 3; d++) {
                    colourError += Math.abs(c[v * 3 + d] - truth[d]);
                }
            }
            colourError /= 3.0 * radii.length;
            double[] sorted = radii.clone();
            java.util.Arrays.sort(sorted);
            double median = sorted[sorted.length / 2];
            long near = java.util.Arrays.stream(radii)
                    .filter(r -> Math.abs(r - SphereTargetGuidance.RADIUS) < 0.1)
                    .count();
            System.out.printf(
                    java.util.Locale.ROOT,
                    "reconstruction: %d faces, median radius %.4f, %.1f%% within 0.1," + " mean colour error %.4f%n",
                    mesh.triangleCount(),
                    median,
                    100.0 * near / radii.length,
                    colourError);
            assertEquals(SphereTargetGuidance.RADIUS, median, 0.05, "median vertex radius");
            assertTrue(near >= 0.9 * radii.length, near + " of " + radii.length + " vertices within 0.1 of the radius");
            assertTrue(colourError < 0.08, "mean vertex colour error " + colourError);

            List<ExportedArtifact> artifacts =
                    ((ExportResult.Written) exporter.export(run, dir, AssetExporter.Scope.ALL)).files();
            for (String name : List.of(
                    AssetExporter.MODEL_GLB,
                    AssetExporter.MODEL_OBJ,
                    AssetExporter.TURNTABLE,
                    AssetExporter.CURVES_JSON,
                    AssetExporter.CURVES_CSV,
                    AssetExporter.CURVES_PNG,
                    "render_rgb_000.png",
                    "render_normal_000.png")) {
                ExportedArtifact a = artifacts.stream()
                        .filter(x -> x.name().equals(name))
                        .findFirst()
                        .orElseThrow();
                assertTrue(Files.size(a.path()) > 0, name + " is empty");
                assertEquals(dir.resolve(name), a.path(), "written under its final name");
            }
            assertEquals(2 * config.export().renderViews() + 6, artifacts.size());
            GltfValidator.validate(dir.resolve(AssetExporter.MODEL_GLB));
            List<String> csv = Files.readAllLines(dir.resolve(AssetExporter.CURVES_CSV));
            assertEquals(STEPS + 1, csv.size());
        }
    }
}
