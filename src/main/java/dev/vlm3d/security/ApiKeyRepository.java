package dev.vlm3d.security;

import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The {@code api_keys} table. The look-ups on the request path ({@link #findByKeyHashAndRevokedAtIsNull} behind
 * every uncached bearer token, {@link #existsByIdAndWebhookSecretIsNotNull} on POST /jobs with a webhook) are one
 * autocommit SELECT each: they join a caller's transaction but open none of their own.
 *
 * <p>The two native statements are the package's only SQL, kept native because each is one atomic statement that
 * JPA would split into a read and a write: the bootstrap key's upsert ({@code ON CONFLICT}, so replicas starting
 * at once do not race to insert it), and the signing-secret rotation, which reads the secret it replaces under the
 * row lock of its own UPDATE and dates the overlap on the database clock that
 * {@code dev.vlm3d.webhooks.WebhookDeliveries.claim} compares it with.
 */
public interface ApiKeyRepository extends JpaRepository<ApiKey, UUID> {

    @Transactional(propagation = Propagation.SUPPORTS)
    Optional<ApiKey> findByKeyHashAndRevokedAtIsNull(byte[] keyHash);

    @Transactional(propagation = Propagation.SUPPORTS)
    boolean existsByIdAndWebhookSecretIsNotNull(UUID id);

    /** @return 1 when an active key was revoked, 0 for an unknown or already revoked one */
    @Transactional
    @Modifying
    @Query("UPDATE ApiKey k SET k.revokedAt = CURRENT_TIMESTAMP WHERE k.id = :id AND k.revokedAt IS NULL")
    int revoke(UUID id);

    /** Revokes the active keys called {@code name} other than the one whose hash is {@code keyHash}. */
    @Transactional
    @Modifying
    @Query("""
            UPDATE ApiKey k SET k.revokedAt = CURRENT_TIMESTAMP
            WHERE k.name = :name AND k.keyHash <> :keyHash AND k.revokedAt IS NULL""")
    int revokeOthersNamed(String name, byte[] keyHash);

    /**
     * Stores the configured admin key, or re-activates it with the configured cap; a signing secret it already has
     * is kept.
     */
    @Transactional
    @Modifying
    @Query(nativeQuery = true, value = """
            INSERT INTO api_keys (id, name, key_prefix, key_hash, admin, max_queued_jobs, webhook_secret)
            VALUES (:id, :name, :prefix, :hash, true, :cap, :webhookSecret)
            ON CONFLICT (key_hash) DO UPDATE SET admin = true, revoked_at = NULL, max_queued_jobs = excluded.max_queued_jobs,
                webhook_secret = coalesce(api_keys.webhook_secret, excluded.webhook_secret)""")
    void upsertAdmin(UUID id, String name, String prefix, byte[] hash, int cap, String webhookSecret);

    /**
     * Makes {@code secret} an active key's signing secret; for {@code overlapSeconds} > 0 the one it replaces keeps
     * signing until then.
     *
     * @return the key as rotated, or empty for an unknown or revoked key
     */
    @Transactional
    @Query(nativeQuery = true, value = """
            UPDATE api_keys SET
                previous_webhook_secret = CASE WHEN :overlapSeconds > 0 THEN webhook_secret END,
                previous_webhook_secret_expires_at = CASE WHEN :overlapSeconds > 0 AND webhook_secret IS NOT NULL
                    THEN now() + make_interval(secs => :overlapSeconds) END,
                webhook_secret = :secret
            WHERE id = :id AND revoked_at IS NULL
            RETURNING *""")
    Optional<ApiKey> rotateWebhookSecret(UUID id, String secret, double overlapSeconds);
}
