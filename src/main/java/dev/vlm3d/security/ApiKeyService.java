package dev.vlm3d.security;

import dev.vlm3d.webhooks.WebhookSigner;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
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
import org.springframework.data.domain.Sort;

/**
 * Issues, verifies and revokes API keys. Tokens are 256 random bits; only their SHA-256 is stored, so a leaked
 * database does not leak usable keys, and a key is found by one index probe on its hash.
 */
public class ApiKeyService {

    public static final String TOKEN_PREFIX = "vlm3d_";
    private static final String BOOTSTRAP_ADMIN = "bootstrap-admin";
    private static final Logger log = LoggerFactory.getLogger(ApiKeyService.class);

    private final ApiKeyRepository keys;
    private final SecurityProperties properties;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(Optional<ApiPrincipal> principal, long expiresAtNanos) {}

    public ApiKeyService(ApiKeyRepository keys, SecurityProperties properties) {
        this.keys = keys;
        this.properties = properties;
    }

    public CreatedApiKey create(String name, boolean admin, Integer maxQueuedJobs) {
        return create(name, admin, maxQueuedJobs, null, false);
    }

    /**
     * @param defaultTtlSeconds the time to live of the key's jobs, null for the service default
     * @param allowNoExpiry     whether the key's jobs may ask never to expire
     */
    public CreatedApiKey create(
            String name, boolean admin, Integer maxQueuedJobs, Long defaultTtlSeconds, boolean allowNoExpiry) {
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String token = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        int cap = maxQueuedJobs != null
                ? maxQueuedJobs
                : admin ? properties.adminMaxQueuedJobs() : properties.defaultMaxQueuedJobs();
        String webhookSecret = WebhookSigner.newSecret();
        ApiKey key = keys.save(new ApiKey(
                UUID.randomUUID(),
                name,
                prefixOf(token),
                hash(token),
                admin,
                cap,
                defaultTtlSeconds,
                allowNoExpiry,
                webhookSecret));
        return new CreatedApiKey(key.toRecord(), token, webhookSecret);
    }

    /** A new webhook signing secret, and until when the one it replaces keeps signing too. */
    public record RotatedSecret(UUID keyId, String webhookSecret, Instant previousSecretExpiresAt) {}

    /**
     * Replaces an active key's webhook signing secret. For {@code overlap} the previous secret keeps signing next to
     * the new one (the signature header carries both), so receivers can switch without dropping deliveries; a
     * rotation during an overlap ends the older secret at once. Retries of earlier deliveries are signed with the
     * secrets current when they are sent.
     */
    public Optional<RotatedSecret> rotateWebhookSecret(UUID keyId, Duration overlap) {
        String secret = WebhookSigner.newSecret();
        return keys.rotateWebhookSecret(keyId, secret, overlap.toMillis() / 1000.0)
                .map(rotated -> new RotatedSecret(keyId, secret, rotated.previousWebhookSecretExpiresAt()));
    }

    /** Whether the key can sign webhooks (keys from before webhooks, and the bootstrap admin, get one by rotation). */
    public boolean hasWebhookSecret(UUID keyId) {
        return keys.existsByIdAndWebhookSecretIsNotNull(keyId);
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
        keys.revokeOthersNamed(BOOTSTRAP_ADMIN, hash);
        // the configured key is authoritative: it is (re-)activated even if it was revoked or rotated away earlier;
        // its signing secret is never shown: the operator sees a bootstrap key's signing secret by rotating it
        keys.upsertAdmin(
                UUID.nameUUIDFromBytes(hash),
                BOOTSTRAP_ADMIN,
                prefixOf(token),
                hash,
                properties.adminMaxQueuedJobs(),
                WebhookSigner.newSecret());
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
        Optional<ApiPrincipal> principal =
                keys.findByKeyHashAndRevokedAtIsNull(hash(token)).map(ApiKey::toPrincipal);
        if (cache.size() > 10_000) cache.clear();
        cache.put(key, new Cached(principal, now + properties.keyCacheTtl().toNanos()));
        return principal;
    }

    public List<ApiKeyRecord> list() {
        return keys.findAll(Sort.by("createdAt", "id")).stream()
                .map(ApiKey::toRecord)
                .toList();
    }

    public boolean revoke(UUID id) {
        int n = keys.revoke(id);
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
}
