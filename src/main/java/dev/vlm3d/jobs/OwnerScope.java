package dev.vlm3d.jobs;

import java.util.UUID;

/** Which jobs a caller may see: its own, or all of them for an admin key. */
public record OwnerScope(UUID ownerKeyId, boolean all) {

    public static OwnerScope owner(UUID keyId) {
        return new OwnerScope(keyId, false);
    }

    public static OwnerScope everyone() {
        return new OwnerScope(null, true);
    }

    public boolean sees(Job job) {
        return all || (ownerKeyId != null && ownerKeyId.equals(job.ownerKeyId()));
    }
}
