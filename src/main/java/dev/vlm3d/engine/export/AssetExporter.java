package dev.vlm3d.engine.export;

import ai.djl.ndarray.NDManager;
import dev.vlm3d.engine.ExportConfig;
import dev.vlm3d.engine.TrainingLock;
import dev.vlm3d.engine.Vlm3dRun;
import dev.vlm3d.engine.render.Camera;
import dev.vlm3d.engine.render.CameraConfig;
import dev.vlm3d.engine.render.CameraSampler;
import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Turns a run into files under their final names, all in one folder (the API's artifact names have no sub-paths):
 * {@code model.glb}, {@code model.obj}, {@code render_rgb_NNN.png} and {@code render_normal_NNN.png} at the
 * evaluation cameras, {@code turntable.gif}, {@code curves.json}, {@code curves.csv} and {@code curves.png}. Call on
 * the run's thread, between steps or after the run; the export takes the JVM's {@link TrainingLock} turn.
 */
public final class AssetExporter {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AssetExporter.class);

    public static final String MODEL_GLB = "model.glb";
    public static final String MODEL_OBJ = "model.obj";
    public static final String RENDER_PREFIX = "render_";
    public static final String TURNTABLE = "turntable.gif";
    public static final String CURVES_JSON = "curves.json";
    public static final String CURVES_CSV = "curves.csv";
    public static final String CURVES_PNG = "curves.png";

    private final ExportConfig config;

    public AssetExporter(ExportConfig config) {
        this.config = config;
    }

    /** What an export writes; the service always writes {@link #ALL}. */
    public enum Scope {
        /** Mesh (GLB, OBJ), evaluation renders, turntable and curves. */
        ALL,
        /** Mesh and curves: no renders, which at the paper's 120 views of 512² take hours on a CPU. */
        MESH,
        /** Curves only: a run that is checked for its steps, not its asset. */
        CURVES
    }

    /**
     * Writes what {@code scope} names, the mesh first: an {@link ExportResult.EmptyMesh} when the mesh is asked for
     * and the density has no surface at the threshold (then nothing is written).
     */
    public ExportResult export(Vlm3dRun run, Path directory, Scope scope) throws IOException, InterruptedException {
        return TrainingLock.exclusively(() -> {
            List<ExportedArtifact> out = new ArrayList<>();
            if (scope != Scope.CURVES) {
                IsosurfaceExtractor.Extraction surface = surface(run);
                if (surface.mesh().vertexCount() == 0) {
                    return new ExportResult.EmptyMesh("the optimized density has no surface at the export threshold "
                            + (config.autoThreshold()
                                    ? "auto (σ = " + surface.threshold() + ")"
                                    : config.isoThreshold())
                            + " after " + run.currentStep() + " steps");
                }
                out.addAll(writeMesh(surface.mesh(), directory));
            }
            if (scope == Scope.ALL) {
                out.addAll(exportRenders(run, directory));
                out.add(exportTurntable(run, directory));
            }
            out.addAll(exportCurves(run, directory));
            return new ExportResult.Written(out);
        });
    }

    public Mesh extractMesh(Vlm3dRun run) {
        try (NDManager manager = NDManager.newBaseManager(run.device())) {
            return new IsosurfaceExtractor(config).extract(run.field(), manager);
        }
    }

    private IsosurfaceExtractor.Extraction surface(Vlm3dRun run) {
        IsosurfaceExtractor.Extraction extraction;
        try (NDManager manager = NDManager.newBaseManager(run.device())) {
            extraction = new IsosurfaceExtractor(config).extractWithThreshold(run.field(), manager);
        }
        if (config.autoThreshold()) {
            LOG.info(
                    "automatic isosurface threshold: σ = {} (the mean density of the lattice points above 1e-5)",
                    String.format(Locale.ROOT, "%.4g", extraction.threshold()));
        }
        return extraction;
    }

    private static List<ExportedArtifact> writeMesh(Mesh mesh, Path directory) throws IOException {
        Files.createDirectories(directory);
        Path glb = directory.resolve(MODEL_GLB);
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(glb))) {
            GlbWriter.write(mesh, o);
        }
        Path obj = directory.resolve(MODEL_OBJ);
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(obj))) {
            ObjWriter.write(mesh, o);
        }
        return List.of(
                new ExportedArtifact(MODEL_GLB, glb, "model/gltf-binary"),
                new ExportedArtifact(MODEL_OBJ, obj, "model/obj"));
    }

    /** RGB and normal renders at {@link ExportConfig#renderViews()} GPTEval3D cameras. */
    private List<ExportedArtifact> exportRenders(Vlm3dRun run, Path directory) throws IOException {
        CameraConfig cameras = run.config().camera();
        List<Camera> views = CameraSampler.evaluationCameras(cameras, config.renderViews());
        Files.createDirectories(directory);
        List<ExportedArtifact> out = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(run.device())) {
            ViewRenderer renderer = viewRenderer(run, manager);
            for (int i = 0; i < views.size(); i++) {
                BufferedImage[] images = renderer.render(views.get(i), config.renderSize());
                String index = String.format(Locale.ROOT, "%03d", i);
                out.add(writePng(images[0], directory, RENDER_PREFIX + "rgb_" + index + ".png"));
                out.add(writePng(images[1], directory, RENDER_PREFIX + "normal_" + index + ".png"));
            }
        }
        return out;
    }

    private ExportedArtifact exportTurntable(Vlm3dRun run, Path directory) throws IOException {
        List<Camera> views = CameraSampler.evaluationCameras(run.config().camera(), config.turntableFrames());
        List<BufferedImage> frames = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(run.device())) {
            ViewRenderer renderer = viewRenderer(run, manager);
            for (Camera view : views) {
                frames.add(renderer.render(view, config.turntableSize())[0]);
            }
        }
        Files.createDirectories(directory);
        Path gif = directory.resolve(TURNTABLE);
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(gif))) {
            AnimatedGifWriter.write(frames, 80, o);
        }
        return new ExportedArtifact(TURNTABLE, gif, "image/gif");
    }

    private List<ExportedArtifact> exportCurves(Vlm3dRun run, Path directory) throws IOException {
        Files.createDirectories(directory);
        Path json = directory.resolve(CURVES_JSON);
        Path csv = directory.resolve(CURVES_CSV);
        Path png = directory.resolve(CURVES_PNG);
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(json))) {
            CurveWriter.writeJson(run.history(), o);
        }
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(csv))) {
            CurveWriter.writeCsv(run.history(), o);
        }
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(png))) {
            CurveWriter.writePlot(run.history(), o);
        }
        return List.of(
                new ExportedArtifact(CURVES_JSON, json, "application/json"),
                new ExportedArtifact(CURVES_CSV, csv, "text/csv"),
                new ExportedArtifact(CURVES_PNG, png, "image/png"));
    }

    private static ViewRenderer viewRenderer(Vlm3dRun run, NDManager manager) {
        return new ViewRenderer(run.field(), run.background(), run.occupancyGrid(), run.renderer(), manager);
    }

    private static ExportedArtifact writePng(BufferedImage image, Path dir, String file) throws IOException {
        Path path = dir.resolve(file);
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(path))) {
            ImageIO.write(image, "png", o);
        }
        return new ExportedArtifact(file, path, "image/png");
    }
}
