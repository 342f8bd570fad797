package dev.vlm3d.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Keeps artifact bytes in the artifacts row (bytea, stored uncompressed out of line so a byte range is read with
 * substring() without loading the whole value). The default: one database is all a deployment needs.
 */
public class PostgresArtifactStore implements ArtifactStore {

    /** Range reads fetch at most this much per query, so a large download never sits whole in the heap. */
    private static final int CHUNK = 1 << 20;

    private final ArtifactRows rows;

    public PostgresArtifactStore(ArtifactRows rows) {
        this.rows = rows;
    }

    @Override
    public Optional<ArtifactInfo> put(
            UUID jobId, int attempt, ArtifactKind kind, String name, String contentType, byte[] content) {
        ArtifactStore.checkName(name);
        return rows.recordContent(jobId, attempt, kind, name, contentType, content);
    }

    @Override
    public Optional<ArtifactInfo> put(
            UUID jobId, int attempt, ArtifactKind kind, String name, String contentType, Path file) throws IOException {
        return put(jobId, attempt, kind, name, contentType, Files.readAllBytes(file));
    }

    @Override
    public List<ArtifactInfo> list(UUID jobId, ArtifactKind kind) {
        return rows.list(jobId, kind);
    }

    @Override
    public Optional<ArtifactInfo> find(UUID jobId, ArtifactKind kind, String name) {
        return rows.find(jobId, kind, name);
    }

    @Override
    public InputStream open(ArtifactInfo artifact, long offset, long length) {
        return new InputStream() {
            private long position = offset;
            private final long end = Math.min(offset + length, artifact.sizeBytes());
            private byte[] buffer = new byte[0];
            private int index;

            @Override
            public int read() {
                if (!fill()) return -1;
                return buffer[index++] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) return 0;
                if (!fill()) return -1;
                int n = Math.min(len, buffer.length - index);
                System.arraycopy(buffer, index, b, off, n);
                index += n;
                return n;
            }

            private boolean fill() {
                if (index < buffer.length) return true;
                if (position >= end) return false;
                int want = (int) Math.min(CHUNK, end - position);
                buffer = rows.readContent(artifact, position, want);
                index = 0;
                if (buffer.length == 0) {
                    position = end;
                    return false;
                }
                position += buffer.length;
                return true;
            }
        };
    }

    @Override
    public void delete(UUID jobId, ArtifactKind kind, String name) {
        rows.delete(jobId, kind, name);
    }

    @Override
    public void purgeJob(UUID jobId) {
        rows.deleteJob(jobId);
    }
}
