package dev.vlm3d.security;

import java.time.Instant;
import java.util.UUID;

/** An API key as stored (never the secret itself). */
public record ApiKeyRecord(UUID id, String name, String keyPrefix, boolean admin, int maxQueuedJobs, Instant createdAt,
                           Instant revokedAt) {
}
