package dev.vlm3d.security;

import java.time.Instant;
import java.util.UUID;

/**
 * An API key as stored (never the secret itself). {@code defaultTtlSeconds} is null when the key's jobs get the
 * service default (db/migration/V4__retention.sql).
 */
public record ApiKeyRecord(
        UUID id,
        String name,
        String keyPrefix,
        boolean admin,
        int maxQueuedJobs,
        Instant createdAt,
        Instant revokedAt,
        Long defaultTtlSeconds,
        boolean allowNoExpiry) {}
