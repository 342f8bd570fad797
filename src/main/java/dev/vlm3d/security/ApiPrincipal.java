package dev.vlm3d.security;

import dev.vlm3d.jobs.OwnerScope;
import java.util.UUID;

/** The caller behind a valid API key. */
public record ApiPrincipal(UUID keyId, String name, boolean admin, int maxQueuedJobs) {

    public OwnerScope scope() {
        return admin ? OwnerScope.everyone() : OwnerScope.owner(keyId);
    }
}
