package dev.vlm3d.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Keeps artifact bytes as files under a directory shared by all replicas (a volume every pod mounts); metadata
 * stays in the artifacts table. Each write goes to its own file named by attempt, and the fenced row update decides
 * which file is current, so a stale worker's file never replaces the current one.
 */
public class FilesystemArtifactStore implements ArtifactStore {

    private final ArtifactRows rows;
    private final Path root;

    public FilesystemArtifactStore(ArtifactRows rows, Path root) throws IOException {
        this.rows = rows;
        this.root = root.toAbsolutePath();
        Files.createDirectories(this.root);
    }

    @Override
    public Optional<ArtifactInfo> put(
            UUID jobId, int attempt, ArtifactKind kind, String name, String contentType, byte[] content)
            throws IOException {
        ArtifactStore.checkName(name);
        Path target = fileFor(jobId, kind, name, attempt);
        Files.createDirectories(target.getParent());
        Path temp = Files.createTempFile(target.getParent(), ".upload-", ".tmp");
        Files.write(temp, content);
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return record(jobId, attempt, kind, name, contentType, content.length, ArtifactRows.sha256Hex(content), target);
    }

    @Override
    public Optional<ArtifactInfo> put(
            UUID jobId, int attempt, ArtifactKind kind, String name, String contentType, Path file) throws IOException {
        return put(jobId, attempt, kind, name, contentType, Files.readAllBytes(file));
    }

    private Optional<ArtifactInfo> record(
            UUID jobId,
            int attempt,
            ArtifactKind kind,
            String name,
            String contentType,
            long size,
            String sha,
            Path target)
            throws IOException {
        return rows.recordExternal(
                jobId,
                attempt,
                kind,
                name,
                contentType,
                size,
                sha,
                root.relativize(target).toString(),
                path -> Files.deleteIfExists(root.resolve(path)));
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
    public InputStream open(ArtifactInfo artifact, long offset, long length) throws IOException {
        FileChannel channel = FileChannel.open(root.resolve(artifact.filePath()), StandardOpenOption.READ);
        channel.position(offset);
        InputStream whole = Channels.newInputStream(channel);
        return new InputStream() {
            private long remaining = length;

            @Override
            public int read() throws IOException {
                if (remaining <= 0) return -1;
                int b = whole.read();
                if (b >= 0) remaining--;
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining <= 0) return -1;
                int n = whole.read(b, off, (int) Math.min(len, remaining));
                if (n > 0) remaining -= n;
                return n;
            }

            @Override
            public void close() throws IOException {
                whole.close();
            }
        };
    }

    @Override
    public void delete(UUID jobId, ArtifactKind kind, String name) throws IOException {
        Optional<ArtifactInfo> found = rows.find(jobId, kind, name);
        rows.delete(jobId, kind, name);
        if (found.isPresent() && found.get().filePath() != null) {
            Files.deleteIfExists(root.resolve(found.get().filePath()));
        }
    }

    @Override
    public void purgeJob(UUID jobId) throws IOException {
        rows.deleteJob(jobId);
        Path dir = root.resolve(jobId.toString());
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private Path fileFor(UUID jobId, ArtifactKind kind, String name, int attempt) {
        return root.resolve(jobId.toString()).resolve(kind.name().toLowerCase()).resolve(name + ".attempt-" + attempt);
    }
}
