package dev.vlm3d.config;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code store}: {@code postgres} (bytes in the database, the default: nothing else to provision) or
 * {@code filesystem} (bytes under {@code dir}, a volume every replica mounts; metadata stays in the database).
 * {@code retainFailedCheckpoints}: keep the last checkpoint of a FAILED job (default false: every finished job's
 * checkpoints are deleted, see {@link dev.vlm3d.artifacts.CheckpointCleanup}).
 */
@ConfigurationProperties("vlm3d.artifacts")
public record ArtifactProperties(String store, Path dir, boolean retainFailedCheckpoints) {

    public ArtifactProperties {
        if (store == null || store.isBlank()) store = "postgres";
        if (dir == null) dir = Path.of("artifacts");
        if (!store.equals("postgres") && !store.equals("filesystem")) {
            throw new IllegalArgumentException("vlm3d.artifacts.store must be postgres or filesystem, not " + store);
        }
    }
}
