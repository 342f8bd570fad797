package dev.vlm3d.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import dev.vlm3d.webhooks.WebhookSigner;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Issues, verifies and revokes API keys. Tokens are 256 random bits; only their SHA-256 is stored, so a leaked
 * database does not leak usable keys, and a key is found by one index probe on its hash.
 */
public class ApiKeyService {

    public static final String TOKEN_PREFIX = "vlm3d_";
    private static final String BOOTSTRAP_ADMIN = "bootstrap-admin";
    private static final Logger log = LoggerFactory.getLogger(ApiKeyService.class);

    private final JdbcClient jdbc;
    private final SecurityProperties properties;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(Optional<ApiPrincipal> principal, long expiresAtNanos) {
    }

    public ApiKeyService(JdbcClient jdbc, SecurityProperties properties) {
        this.jdbc = jdbc;
        this.properties = properties;
    }

    public CreatedApiKey create(String name, boolean admin, Integer maxQueuedJobs) {
        return create(name, admin, maxQueuedJobs, null, false);
    }

    /**
     * @param defaultTtlSeconds the time to live of the key's jobs, null for the service default
     * @param allowNoExpiry     whether the key's jobs may ask never to expire
     */
    public CreatedApiKey create(String name, boolean admin, Integer maxQueuedJobs, Long defaultTtlSeconds,
                                boolean allowNoExpiry) {
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String token = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        int cap = maxQueuedJobs != null ? maxQueuedJobs
                : admin ? properties.adminMaxQueuedJobs() : properties.defaultMaxQueuedJobs();
        String webhookSecret = WebhookSigner.newSecret();
        return new CreatedApiKey(insert(UUID.randomUUID(), name, token, admin, cap, defaultTtlSeconds, allowNoExpiry,
                webhookSecret), token, webhookSecret);
    }

    private ApiKeyRecord insert(UUID id, String name, String token, boolean admin, int cap, Long defaultTtlSeconds,
                                boolean allowNoExpiry, String webhookSecret) {
        return jdbc.sql("""
                INSERT INTO api_keys (id, name, key_prefix, key_hash, admin, max_queued_jobs, default_ttl_seconds,
                                      allow_no_expiry, webhook_secret)
                VALUES (:id, :name, :prefix, :hash, :admin, :cap, :ttl, :noExpiry, :webhookSecret)
                RETURNING *""")
                .param("id", id).param("name", name).param("prefix", prefixOf(token)).param("hash", hash(token))
                .param("admin", admin).param("cap", cap).param("ttl", defaultTtlSeconds, java.sql.Types.BIGINT)
                .param("noExpiry", allowNoExpiry).param("webhookSecret", webhookSecret)
                .query(ApiKeyService::map).single();
    }

    /** A new webhook signing secret, and until when the one it replaces keeps signing too. */
    public record RotatedSecret(UUID keyId, String webhookSecret, Instant previousSecretExpiresAt) {
    }

    /**
     * Replaces an active key's webhook signing secret. For {@code overlap} the previous secret keeps signing next to
     * the new one (the signature header carries both), so receivers can switch without dropping deliveries; a
     * rotation during an overlap ends the older secret at once. Retries of earlier deliveries are signed with the
     * secrets current when they are sent.
     */
    public Optional<RotatedSecret> rotateWebhookSecret(UUID keyId, Duration overlap) {
        String secret = WebhookSigner.newSecret();
        return jdbc.sql("""
                UPDATE api_keys SET
                    previous_webhook_secret = CASE WHEN :overlapSeconds > 0 THEN webhook_secret END,
                    previous_webhook_secret_expires_at = CASE WHEN :overlapSeconds > 0 AND webhook_secret IS NOT NULL
                        THEN now() + make_interval(secs => :overlapSeconds) END,
                    webhook_secret = :secret
                WHERE id = :id AND revoked_at IS NULL
                RETURNING previous_webhook_secret_expires_at""")
                .param("overlapSeconds", overlap.toMillis() / 1000.0).param("secret", secret).param("id", keyId)
                .query((rs, i) -> {
                    java.time.OffsetDateTime until = rs.getObject(1, java.time.OffsetDateTime.class);
                    return new RotatedSecret(keyId, secret, until == null ? null : until.toInstant());
                })
                .optional();
    }

    /** Whether the key can sign webhooks (keys from before webhooks, and the bootstrap admin, get one by rotation). */
    public boolean hasWebhookSecret(UUID keyId) {
        return jdbc.sql("SELECT webhook_secret IS NOT NULL FROM api_keys WHERE id = :id").param("id", keyId)
                .query(Boolean.class).optional().orElse(false);
    }

    /**
     * Makes the configured admin key usable: stores its hash once, and revokes an earlier bootstrap key whose secret
     * was rotated away. Its queued-jobs cap follows {@code admin-max-queued-jobs} on every start.
     */
    public void ensureBootstrapAdmin() {
        String token = properties.adminKey();
        if (token == null || token.isBlank()) {
            log.warn("no vlm3d.security.admin-key configured: only keys already in the database can call the API");
            return;
        }
        byte[] hash = hash(token);
        jdbc.sql("UPDATE api_keys SET revoked_at = now() WHERE name = :name AND key_hash <> :hash AND revoked_at IS NULL")
                .param("name", BOOTSTRAP_ADMIN).param("hash", hash).update();
        // the configured key is authoritative: it is (re-)activated even if it was revoked or rotated away earlier
        jdbc.sql("""
                INSERT INTO api_keys (id, name, key_prefix, key_hash, admin, max_queued_jobs, webhook_secret)
                VALUES (:id, :name, :prefix, :hash, true, :cap, :webhookSecret)
                ON CONFLICT (key_hash) DO UPDATE SET admin = true, revoked_at = NULL, max_queued_jobs = excluded.max_queued_jobs,
                    webhook_secret = coalesce(api_keys.webhook_secret, excluded.webhook_secret)""")
                .param("id", UUID.nameUUIDFromBytes(hash)).param("name", BOOTSTRAP_ADMIN).param("prefix", prefixOf(token))
                .param("hash", hash).param("cap", properties.adminMaxQueuedJobs())
                // never shown: the operator sees a bootstrap key's signing secret by rotating it
                .param("webhookSecret", WebhookSigner.newSecret()).update();
        cache.clear();
    }

    /** The principal of a bearer token, or empty for an unknown or revoked key. */
    public Optional<ApiPrincipal> authenticate(String token) {
        String key = Base64.getEncoder().encodeToString(hash(token));
        long now = System.nanoTime();
        Cached cached = cache.get(key);
        if (cached != null && cached.expiresAtNanos() - now > 0) {
            return cached.principal();
        }
        Optional<ApiPrincipal> principal = jdbc.sql("SELECT * FROM api_keys WHERE key_hash = :hash AND revoked_at IS NULL")
                .param("hash", hash(token)).query(ApiKeyService::map).optional()
                .map(r -> new ApiPrincipal(r.id(), r.name(), r.admin(), r.maxQueuedJobs(),
                        r.defaultTtlSeconds() == null ? null : Duration.ofSeconds(r.defaultTtlSeconds()), r.allowNoExpiry()));
        if (cache.size() > 10_000) cache.clear();
        cache.put(key, new Cached(principal, now + properties.keyCacheTtl().toNanos()));
        return principal;
    }

    public List<ApiKeyRecord> list() {
        return jdbc.sql("SELECT * FROM api_keys ORDER BY created_at, id").query(ApiKeyService::map).list();
    }

    public boolean revoke(UUID id) {
        int n = jdbc.sql("UPDATE api_keys SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL").param("id", id).update();
        cache.clear();
        return n == 1;
    }

    public Duration cacheTtl() {
        return properties.keyCacheTtl();
    }

    static byte[] hash(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String prefixOf(String token) {
        return token.substring(0, Math.min(token.length(), TOKEN_PREFIX.length() + 4));
    }

    private static ApiKeyRecord map(java.sql.ResultSet rs, int row) throws java.sql.SQLException {
        java.time.OffsetDateTime created = rs.getObject("created_at", java.time.OffsetDateTime.class);
        java.time.OffsetDateTime revoked = rs.getObject("revoked_at", java.time.OffsetDateTime.class);
        return new ApiKeyRecord(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("key_prefix"),
                rs.getBoolean("admin"), rs.getInt("max_queued_jobs"), created.toInstant(),
                revoked == null ? null : revoked.toInstant(), (Long) rs.getObject("default_ttl_seconds"),
                rs.getBoolean("allow_no_expiry"));
    }
}
