package dev.vlm3d.api;

import java.time.Instant;

/** A downloadable result of a job. */
public record ArtifactResponse(
        String name, String contentType, long sizeBytes, String sha256, Instant createdAt, String url) {}
