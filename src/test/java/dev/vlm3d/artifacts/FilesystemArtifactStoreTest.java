package dev.vlm3d.artifacts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.stream.Stream;

/** {@link ArtifactStoreTest} for the shared-volume store: a job's blobs are the files under its directory. */
class FilesystemArtifactStoreTest extends ArtifactStoreTest {

    private Path root;

    @Override
    ArtifactStore createStore() throws Exception {
        root = Files.createTempDirectory("vlm3d-artifacts");
        return new FilesystemArtifactStore(db.artifactRows, root);
    }

    @Override
    int storedBlobs(UUID jobId) throws Exception {
        Path dir = root.resolve(jobId.toString());
        if (!Files.exists(dir)) return 0;
        try (Stream<Path> files = Files.walk(dir)) {
            return (int) files.filter(Files::isRegularFile).count();
        }
    }
}
