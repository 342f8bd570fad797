package dev.vlm3d.engine.export;

import java.util.List;

/** What {@link AssetExporter#export} did: wrote its files, or found no surface to write. */
public sealed interface ExportResult {

    /** The files written, under their final names (the service's artifact names, the CLI's file names). */
    record Written(List<ExportedArtifact> files) implements ExportResult {
        public Written {
            files = List.copyOf(files);
        }
    }

    /**
     * The density has no surface at the export threshold. A GLB of nothing is not valid glTF and not a result, so
     * the export stops here, before any file is written and before the renders' time is spent.
     *
     * @param reason the threshold and the step, for the job's error and the CLI's message
     */
    record EmptyMesh(String reason) implements ExportResult {}
}
