package dev.vlm3d.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Where job results and checkpoints live. Writes are fenced: a write lands only while the job is RUNNING under
 * the given attempt, checked under a row lock on the job in the same statement, so a worker that lost its lease
 * cannot replace the results or checkpoint of the attempt that took over.
 */
public interface ArtifactStore {

    /** Names are path- and URL-safe so they can appear in both without escaping. */
    Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /** @return the stored artifact, or empty when the fence rejected the write */
    Optional<ArtifactInfo> put(
            UUID jobId, int attempt, ArtifactKind kind, String name, String contentType, byte[] content)
            throws IOException;

    /** Same as {@link #put(UUID, int, ArtifactKind, String, String, byte[])} for content already in a file. */
    Optional<ArtifactInfo> put(UUID jobId, int attempt, ArtifactKind kind, String name, String contentType, Path file)
            throws IOException;

    List<ArtifactInfo> list(UUID jobId, ArtifactKind kind);

    Optional<ArtifactInfo> find(UUID jobId, ArtifactKind kind, String name);

    /** Streams {@code length} bytes starting at {@code offset}. */
    InputStream open(ArtifactInfo artifact, long offset, long length) throws IOException;

    /**
     * Where a client may fetch the artifact itself, bypassing the service (a presigned URL of an object store), or
     * empty when downloads are streamed through {@link #open}.
     */
    default Optional<URI> downloadRedirect(ArtifactInfo artifact) {
        return Optional.empty();
    }

    /** Removes one artifact (e.g. a checkpoint once its job finished). */
    void delete(UUID jobId, ArtifactKind kind, String name) throws IOException;

    /** Removes stored bytes that outlive the job row (its rows go with the job by ON DELETE CASCADE). */
    void purgeJob(UUID jobId) throws IOException;

    static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid artifact name: " + name);
        }
    }
}
