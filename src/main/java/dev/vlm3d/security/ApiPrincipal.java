package dev.vlm3d.security;

import dev.vlm3d.jobs.OwnerScope;
import java.time.Duration;
import java.util.UUID;

/**
 * The caller behind a valid API key. {@code defaultTtl}: how long its finished jobs are kept when they ask for no
 * other time (null: the service default, vlm3d.retention.default-ttl); {@code allowNoExpiry}: whether its jobs may
 * ask to be kept until deleted.
 */
public record ApiPrincipal(
        UUID keyId, String name, boolean admin, int maxQueuedJobs, Duration defaultTtl, boolean allowNoExpiry) {

    public OwnerScope scope() {
        return admin ? OwnerScope.everyone() : OwnerScope.owner(keyId);
    }
}
