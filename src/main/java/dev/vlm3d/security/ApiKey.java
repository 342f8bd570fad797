package dev.vlm3d.security;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.PostLoad;
import jakarta.persistence.PostPersist;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.hibernate.annotations.Generated;
import org.springframework.data.domain.Persistable;

/**
 * A row of {@code api_keys} (db/migration/V1__service_schema.sql, V3__webhooks.sql, V4__retention.sql). Not mapped:
 * {@code queued_jobs}, which only the jobs trigger writes and only {@code JobRepository.submit} reads. Keys are
 * inserted as entities and changed only by the statements of {@link ApiKeyRepository}. {@code created_at} is the
 * database's default, read back after the insert.
 */
@Entity
@Table(name = "api_keys")
class ApiKey implements Persistable<UUID> {

    @Id
    @Column(name = "id")
    private UUID id;

    @Column(name = "name", nullable = false)
    private String name;

    @Column(name = "key_prefix", nullable = false)
    private String keyPrefix;

    @Column(name = "key_hash", nullable = false, unique = true)
    private byte[] keyHash;

    @Column(name = "admin", nullable = false)
    private boolean admin;

    @Column(name = "max_queued_jobs", nullable = false)
    private int maxQueuedJobs;

    @Generated
    @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
    private Instant createdAt;

    @Column(name = "revoked_at")
    private Instant revokedAt;

    @Column(name = "webhook_secret")
    private String webhookSecret;

    @Column(name = "previous_webhook_secret")
    private String previousWebhookSecret;

    @Column(name = "previous_webhook_secret_expires_at")
    private Instant previousWebhookSecretExpiresAt;

    @Column(name = "default_ttl_seconds")
    private Long defaultTtlSeconds;

    @Column(name = "allow_no_expiry", nullable = false)
    private boolean allowNoExpiry;

    /** The id is assigned here, not by the database: without this, saving a new key would first look for it. */
    @Transient
    private boolean isNew;

    protected ApiKey() {}

    ApiKey(
            UUID id,
            String name,
            String keyPrefix,
            byte[] keyHash,
            boolean admin,
            int maxQueuedJobs,
            Long defaultTtlSeconds,
            boolean allowNoExpiry,
            String webhookSecret) {
        this.id = id;
        this.name = name;
        this.keyPrefix = keyPrefix;
        this.keyHash = keyHash;
        this.admin = admin;
        this.maxQueuedJobs = maxQueuedJobs;
        this.defaultTtlSeconds = defaultTtlSeconds;
        this.allowNoExpiry = allowNoExpiry;
        this.webhookSecret = webhookSecret;
        this.isNew = true;
    }

    @PostPersist
    @PostLoad
    void stored() {
        isNew = false;
    }

    @Override
    public UUID getId() {
        return id;
    }

    @Override
    public boolean isNew() {
        return isNew;
    }

    String webhookSecret() {
        return webhookSecret;
    }

    String previousWebhookSecret() {
        return previousWebhookSecret;
    }

    Instant previousWebhookSecretExpiresAt() {
        return previousWebhookSecretExpiresAt;
    }

    ApiKeyRecord toRecord() {
        return new ApiKeyRecord(
                id, name, keyPrefix, admin, maxQueuedJobs, createdAt, revokedAt, defaultTtlSeconds, allowNoExpiry);
    }

    ApiPrincipal toPrincipal() {
        return new ApiPrincipal(
                id,
                name,
                admin,
                maxQueuedJobs,
                defaultTtlSeconds == null ? null : Duration.ofSeconds(defaultTtlSeconds),
                allowNoExpiry);
    }
}
