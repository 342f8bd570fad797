package dev.vlm3d.engine.export;

import java.nio.file.Path;

/**
 * One file produced by the exporter.
 *
 * @param name        final artifact and file name, e.g. "model.glb", "render_rgb_000.png"
 * @param path        where it was written
 * @param contentType MIME type
 */
public record ExportedArtifact(String name, Path path, String contentType) {}
