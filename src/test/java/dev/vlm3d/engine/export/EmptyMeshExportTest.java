package dev.vlm3d.engine.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.vlm3d.engine.ExportConfig;
import dev.vlm3d.engine.RunConfig;
import dev.vlm3d.engine.Vlm3dRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A density with no surface at the threshold stops the export at the mesh, before any render is spent on it; the
 * automatic level (threestudio's "auto") finds a surface in the same field.
 */
class EmptyMeshExportTest {

    @Test
    void noSurfaceIsItsOwnOutcomeAndNothingElseIsRendered(@TempDir Path dir) throws Exception {
        RunConfig tiny = RunConfig.tiny(2);
        ExportConfig e = tiny.export();
        // the initial blob's density is far below this level
        ExportConfig unreachable = new ExportConfig(
                e.isoResolution(),
                1e9f,
                e.coarseToFine(),
                e.minComponentFraction(),
                e.renderViews(),
                e.renderSize(),
                e.turntableFrames(),
                e.turntableSize());
        try (Vlm3dRun run = new Vlm3dRun(tiny.withExport(unreachable), null, null, Device.cpu())) {
            ExportResult result = new AssetExporter(unreachable).export(run, dir, AssetExporter.Scope.ALL);
            ExportResult.EmptyMesh empty = assertInstanceOf(ExportResult.EmptyMesh.class, result);
            assertTrue(empty.reason().contains("1.0E9"), empty.reason());
            try (var written = Files.list(dir)) {
                assertEquals(0, written.count(), "nothing is written after an empty mesh");
            }
        }
    }

    @Test
    void theAutomaticLevelFindsTheSurfaceOfALowDensity(@TempDir Path dir) throws Exception {
        RunConfig tiny = RunConfig.tiny(2);
        ExportConfig auto = tiny.export().withIsoThreshold(ExportConfig.AUTO_THRESHOLD);
        try (Vlm3dRun run = new Vlm3dRun(tiny.withExport(auto), null, null, Device.cpu())) {
            var files = assertInstanceOf(
                            ExportResult.Written.class,
                            new AssetExporter(auto).export(run, dir, AssetExporter.Scope.MESH))
                    .files();
            assertTrue(files.stream().anyMatch(f -> f.name().equals(AssetExporter.MODEL_GLB)));
            dev.vlm3d.engine.GltfValidator.validate(dir.resolve(AssetExporter.MODEL_GLB));
        }
    }

    @Test
    void theAutomaticLevelIsTheMeanOfThePositiveDensities() {
        assertEquals(3.0f, IsosurfaceExtractor.autoThreshold(new float[] {0f, 1e-6f, 2f, 4f}), 1e-6f);
        assertEquals(Float.POSITIVE_INFINITY, IsosurfaceExtractor.autoThreshold(new float[] {0f, 0f}));
    }
}
