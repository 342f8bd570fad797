package dev.vlm3d.artifacts;

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

/** Metadata queries shared by both stores. */
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

    static String sha256Hex(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
