package dev.vlm3d.artifacts;

import java.io.IOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.springframework.jdbc.core.simple.JdbcClient;

/** Metadata queries shared by the stores. */
final class ArtifactRows {

    static final String COLUMNS = "job_id, kind, name, content_type, size_bytes, sha256, attempt, created_at, file_path";

    private final JdbcClient jdbc;

    ArtifactRows(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    static ArtifactInfo map(ResultSet rs, int rowNum) throws SQLException {
        OffsetDateTime created = rs.getObject("created_at", OffsetDateTime.class);
        return new ArtifactInfo(rs.getObject("job_id", UUID.class), ArtifactKind.valueOf(rs.getString("kind")),
                rs.getString("name"), rs.getString("content_type"), rs.getLong("size_bytes"), rs.getString("sha256"),
                rs.getInt("attempt"), created == null ? null : created.toInstant(), rs.getString("file_path"));
    }

    List<ArtifactInfo> list(UUID jobId, ArtifactKind kind) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM artifacts WHERE job_id = :job AND kind = :kind ORDER BY name")
                .param("job", jobId).param("kind", kind.name()).query(ArtifactRows::map).list();
    }

    Optional<ArtifactInfo> find(UUID jobId, ArtifactKind kind, String name) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM artifacts WHERE job_id = :job AND kind = :kind AND name = :name")
                .param("job", jobId).param("kind", kind.name()).param("name", name).query(ArtifactRows::map).optional();
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
    Optional<ArtifactInfo> recordExternal(UUID jobId, int attempt, ArtifactKind kind, String name, String contentType,
            long size, String sha, String path, ExternalContent content) throws IOException {
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
                .param("job", jobId).param("kind", kind.name()).param("name", name).param("type", contentType)
                .param("size", size).param("sha", sha).param("attempt", attempt).param("path", path)
                .query(ArtifactRows::map).optional();
        if (stored.isEmpty()) {
            content.delete(path);
        } else if (previous.isPresent() && !previous.get().equals(path)) {
            content.delete(previous.get());
        }
        return stored;
    }

    static String sha256Hex(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
