package dev.vlm3d.artifacts;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The artifacts table as the stores use it: metadata is read through {@link ArtifactRepository}; every write is
 * here, as native SQL. The writes stay SQL because each one is fenced in its own statement: the INSERT … SELECT
 * takes a share lock on the job row and lands only while the job is RUNNING under the writer's attempt, so a worker
 * that lost its lease cannot replace what the attempt that took over wrote; an entity write would read the job and
 * write the row in separate statements, with the fence between them. The deletes stay next to them, so that the
 * entity is read-only and this class is the one place that changes the table; the content range read is here too,
 * since substring() of a bytea has no JPA form.
 */
public final class ArtifactRows {

    private static final String COLUMNS =
            "job_id, kind, name, content_type, size_bytes, sha256, attempt, created_at, file_path";

    private final JdbcClient jdbc;
    private final ArtifactRepository artifacts;

    public ArtifactRows(JdbcClient jdbc, ArtifactRepository artifacts) {
        this.jdbc = jdbc;
        this.artifacts = artifacts;
    }

    private static ArtifactInfo map(ResultSet rs, int rowNum) throws SQLException {
        OffsetDateTime created = rs.getObject("created_at", OffsetDateTime.class);
        return new ArtifactInfo(
                rs.getObject("job_id", UUID.class),
                ArtifactKind.valueOf(rs.getString("kind")),
                rs.getString("name"),
                rs.getString("content_type"),
                rs.getLong("size_bytes"),
                rs.getString("sha256"),
                rs.getInt("attempt"),
                created == null ? null : created.toInstant(),
                rs.getString("file_path"));
    }

    List<ArtifactInfo> list(UUID jobId, ArtifactKind kind) {
        return artifacts.findByIdJobIdAndIdKindOrderByIdName(jobId, kind).stream()
                .map(Artifact::toInfo)
                .toList();
    }

    Optional<ArtifactInfo> find(UUID jobId, ArtifactKind kind, String name) {
        return artifacts.findById(new Artifact.Key(jobId, kind, name)).map(Artifact::toInfo);
    }

    /** Stores content in the row itself (store=postgres), fenced like every artifact write. */
    Optional<ArtifactInfo> recordContent(
            UUID jobId, int attempt, ArtifactKind kind, String name, String contentType, byte[] content) {
        return jdbc.sql("""
                INSERT INTO artifacts (job_id, kind, name, content_type, size_bytes, sha256, attempt, content)
                SELECT j.id, :kind, :name, :type, :size, :sha, :attempt, :content
                FROM jobs j WHERE j.id = :job AND j.attempt = :attempt AND j.status = 'RUNNING'
                FOR SHARE
                ON CONFLICT (job_id, kind, name) DO UPDATE SET content_type = excluded.content_type,
                    size_bytes = excluded.size_bytes, sha256 = excluded.sha256, attempt = excluded.attempt,
                    content = excluded.content, file_path = NULL, created_at = now()
                RETURNING\s""" + COLUMNS)
                .param("job", jobId)
                .param("kind", kind.name())
                .param("name", name)
                .param("type", contentType)
                .param("size", (long) content.length)
                .param("sha", sha256Hex(content))
                .param("attempt", attempt)
                .param("content", content)
                .query(ArtifactRows::map)
                .optional();
    }

    /** Deletes content a store keeps outside the database (a file, an object), by its {@code file_path}. */
    @FunctionalInterface
    interface ExternalContent {
        void delete(String path) throws IOException;
    }

    /**
     * Records content already written outside the database at {@code path}, fenced like every artifact write: only
     * the job's current attempt while RUNNING may (re)place it. The loser of the fence has its new content deleted;
     * a replacement deletes the content the row pointed at before.
     */
    Optional<ArtifactInfo> recordExternal(
            UUID jobId,
            int attempt,
            ArtifactKind kind,
            String name,
            String contentType,
            long size,
            String sha,
            String path,
            ExternalContent content)
            throws IOException {
        Optional<String> previous = find(jobId, kind, name).map(ArtifactInfo::filePath);
        Optional<ArtifactInfo> stored = jdbc.sql("""
                INSERT INTO artifacts (job_id, kind, name, content_type, size_bytes, sha256, attempt, file_path)
                SELECT j.id, :kind, :name, :type, :size, :sha, :attempt, :path
                FROM jobs j WHERE j.id = :job AND j.attempt = :attempt AND j.status = 'RUNNING'
                FOR SHARE
                ON CONFLICT (job_id, kind, name) DO UPDATE SET content_type = excluded.content_type,
                    size_bytes = excluded.size_bytes, sha256 = excluded.sha256, attempt = excluded.attempt,
                    content = NULL, file_path = excluded.file_path, created_at = now()
                RETURNING\s""" + COLUMNS)
                .param("job", jobId)
                .param("kind", kind.name())
                .param("name", name)
                .param("type", contentType)
                .param("size", size)
                .param("sha", sha)
                .param("attempt", attempt)
                .param("path", path)
                .query(ArtifactRows::map)
                .optional();
        if (stored.isEmpty()) {
            content.delete(path);
        } else if (previous.isPresent() && !previous.get().equals(path)) {
            content.delete(previous.get());
        }
        return stored;
    }

    /**
     * Up to {@code length} bytes of content kept in the row, from {@code offset}; empty when the row is gone or
     * holds less.
     */
    byte[] readContent(ArtifactInfo artifact, long offset, int length) {
        return jdbc.sql("SELECT substring(content FROM :from FOR :len) FROM artifacts "
                        + "WHERE job_id = :job AND kind = :kind AND name = :name")
                .param("from", (int) (offset + 1))
                .param("len", length)
                .param("job", artifact.jobId())
                .param("kind", artifact.kind().name())
                .param("name", artifact.name())
                .query(byte[].class)
                .optional()
                .orElse(new byte[0]);
    }

    void delete(UUID jobId, ArtifactKind kind, String name) {
        jdbc.sql("DELETE FROM artifacts WHERE job_id = :job AND kind = :kind AND name = :name")
                .param("job", jobId)
                .param("kind", kind.name())
                .param("name", name)
                .update();
    }

    /** Deletes every row of the job (ExpirySweep calls this inside its transaction holding the job's row lock). */
    void deleteJob(UUID jobId) {
        jdbc.sql("DELETE FROM artifacts WHERE job_id = :job")
                .param("job", jobId)
                .update();
    }

    static String sha256Hex(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
