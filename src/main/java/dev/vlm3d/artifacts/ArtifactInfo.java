package dev.vlm3d.artifacts;

import java.time.Instant;
import java.util.UUID;

/** Metadata of a stored artifact; {@code sha256} (hex) doubles as the HTTP entity tag. */
public record ArtifactInfo(
        UUID jobId,
        ArtifactKind kind,
        String name,
        String contentType,
        long sizeBytes,
        String sha256,
        int attempt,
        Instant createdAt,
        String filePath) {}
