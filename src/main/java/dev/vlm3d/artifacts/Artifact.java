package dev.vlm3d.artifacts;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import org.hibernate.annotations.Immutable;

/**
 * The metadata of a row of {@code artifacts} (db/migration/V1__service_schema.sql), read-only: {@code content} is not
 * mapped (a listing never loads bytes; {@link ArtifactRows} reads ranges of it), and every write is one of the fenced
 * statements in {@link ArtifactRows}.
 */
@Entity
@Immutable
@Table(name = "artifacts")
class Artifact {

    /** The primary key (job_id, kind, name). */
    @Embeddable
    static class Key implements Serializable {

        @Column(name = "job_id", nullable = false)
        private UUID jobId;

        @Enumerated(EnumType.STRING)
        @Column(name = "kind", nullable = false)
        private ArtifactKind kind;

        @Column(name = "name", nullable = false)
        private String name;

        protected Key() {}

        Key(UUID jobId, ArtifactKind kind, String name) {
            this.jobId = jobId;
            this.kind = kind;
            this.name = name;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && jobId.equals(k.jobId) && kind == k.kind && name.equals(k.name);
        }

        @Override
        public int hashCode() {
            return Objects.hash(jobId, kind, name);
        }
    }

    @EmbeddedId
    private Key id;

    @Column(name = "content_type", nullable = false)
    private String contentType;

    @Column(name = "size_bytes", nullable = false)
    private long sizeBytes;

    @Column(name = "sha256", nullable = false)
    private String sha256;

    @Column(name = "attempt", nullable = false)
    private int attempt;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "file_path")
    private String filePath;

    protected Artifact() {}

    ArtifactInfo toInfo() {
        return new ArtifactInfo(
                id.jobId, id.kind, id.name, contentType, sizeBytes, sha256, attempt, createdAt, filePath);
    }
}
