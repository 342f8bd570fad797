package dev.vlm3d.api;

import dev.vlm3d.security.ApiKeyRecord;
import dev.vlm3d.security.ApiKeyService;
import dev.vlm3d.security.ApiPrincipal;
import dev.vlm3d.security.CreatedApiKey;
import dev.vlm3d.text.InputText;
import dev.vlm3d.webhooks.WebhookProperties;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/**
 * Key management for admins: issue (the token and the webhook signing secret are shown once), list and revoke API
 * keys; and rotation of a key's webhook signing secret, by an admin or by the key itself.
 */
@RestController
class ApiKeyController {

    private static final Set<String> FIELDS =
            Set.of("name", "admin", "max_queued_jobs", "default_ttl_seconds", "allow_no_expiry");
    /** Ten years: a bound that keeps now() + ttl far from timestamp overflow. */
    static final long MAX_TTL_SECONDS = 10L * 366 * 24 * 3600;

    private final ApiKeyService keys;
    private final WebhookProperties webhooks;

    ApiKeyController(ApiKeyService keys, WebhookProperties webhooks) {
        this.keys = keys;
        this.webhooks = webhooks;
    }

    record ApiKeyResponse(
            UUID id,
            String name,
            String keyPrefix,
            boolean admin,
            int maxQueuedJobs,
            Long defaultTtlSeconds,
            boolean allowNoExpiry,
            Instant createdAt,
            Instant revokedAt,
            String token,
            String webhookSecret) {

        static ApiKeyResponse of(ApiKeyRecord r, String token, String webhookSecret) {
            return new ApiKeyResponse(
                    r.id(),
                    r.name(),
                    r.keyPrefix(),
                    r.admin(),
                    r.maxQueuedJobs(),
                    r.defaultTtlSeconds(),
                    r.allowNoExpiry(),
                    r.createdAt(),
                    r.revokedAt(),
                    token,
                    webhookSecret);
        }
    }

    record WebhookSecretResponse(UUID keyId, String webhookSecret, Instant previousSecretExpiresAt) {}

    record ApiKeyListResponse(List<ApiKeyResponse> keys) {}

    @PostMapping(
            path = "/api-keys",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<ApiKeyResponse> create(@RequestBody(required = false) byte[] raw, ApiPrincipal principal) {
        requireAdmin(principal);
        JsonNode body = JsonBodies.read(raw);
        if (body == null || !body.isObject())
            throw ApiException.invalid("INVALID_FIELD", "", "the request body must be a JSON object");
        for (Map.Entry<String, JsonNode> e : body.properties()) {
            if (!FIELDS.contains(e.getKey()))
                throw ApiException.invalid("UNKNOWN_FIELD", e.getKey(), "unknown field '" + e.getKey() + "'");
        }
        JsonNode name = body.get("name");
        if (name == null
                || !name.isString()
                || name.stringValue().isBlank()
                || name.stringValue().length() > 100) {
            throw ApiException.invalid("INVALID_FIELD", "name", "name must be a string of 1 to 100 characters");
        }
        String forbidden = InputText.forbiddenCharacter(name.stringValue());
        if (forbidden != null
                || name.stringValue().contains("\n")
                || name.stringValue().contains("\t")) {
            throw ApiException.invalid(
                    "INVALID_CHARACTER",
                    "name",
                    "name contains " + (forbidden != null ? forbidden : "a line feed or tab"));
        }
        JsonNode admin = body.get("admin");
        if (admin != null && !admin.isNull() && !admin.isBoolean()) {
            throw ApiException.invalid("INVALID_FIELD", "admin", "admin must be a boolean");
        }
        JsonNode cap = body.get("max_queued_jobs");
        if (cap != null
                && !cap.isNull()
                && (!cap.isIntegralNumber()
                        || !cap.canConvertToInt()
                        || cap.intValue() < 0
                        || cap.intValue() > 100_000)) {
            throw ApiException.invalid(
                    "INVALID_FIELD", "max_queued_jobs", "max_queued_jobs must be an integer in [0, 100000]");
        }
        JsonNode ttl = body.get("default_ttl_seconds");
        if (ttl != null
                && !ttl.isNull()
                && (!ttl.isIntegralNumber()
                        || !ttl.canConvertToLong()
                        || ttl.longValue() < 1
                        || ttl.longValue() > MAX_TTL_SECONDS)) {
            throw ApiException.invalid(
                    "INVALID_FIELD",
                    "default_ttl_seconds",
                    "default_ttl_seconds must be an integer in [1, " + MAX_TTL_SECONDS + "]");
        }
        JsonNode noExpiry = body.get("allow_no_expiry");
        if (noExpiry != null && !noExpiry.isNull() && !noExpiry.isBoolean()) {
            throw ApiException.invalid("INVALID_FIELD", "allow_no_expiry", "allow_no_expiry must be a boolean");
        }
        CreatedApiKey created = keys.create(
                name.stringValue(),
                admin != null && admin.booleanValue(),
                cap == null || cap.isNull() ? null : cap.intValue(),
                ttl == null || ttl.isNull() ? null : ttl.longValue(),
                noExpiry != null && noExpiry.booleanValue());
        return ResponseEntity.created(URI.create("/api-keys/" + created.key().id()))
                .body(ApiKeyResponse.of(created.key(), created.token(), created.webhookSecret()));
    }

    @GetMapping(path = "/api-keys", produces = MediaType.APPLICATION_JSON_VALUE)
    ApiKeyListResponse list(ApiPrincipal principal) {
        requireAdmin(principal);
        return new ApiKeyListResponse(
                keys.list().stream().map(r -> ApiKeyResponse.of(r, null, null)).toList());
    }

    @DeleteMapping("/api-keys/{id}")
    ResponseEntity<Void> revoke(@PathVariable UUID id, ApiPrincipal principal) {
        requireAdmin(principal);
        if (!keys.revoke(id)) {
            throw new ApiException(HttpStatus.NOT_FOUND, "API_KEY_NOT_FOUND", "no active API key " + id);
        }
        return ResponseEntity.noContent().build();
    }

    /** Rotates any key's webhook signing secret (admin). */
    @PostMapping(path = "/api-keys/{id}/webhook-secret", produces = MediaType.APPLICATION_JSON_VALUE)
    WebhookSecretResponse rotateWebhookSecret(
            @PathVariable UUID id, @RequestBody(required = false) byte[] raw, ApiPrincipal principal) {
        requireAdmin(principal);
        return rotate(id, raw);
    }

    /** Rotates the calling key's own webhook signing secret. */
    @PostMapping(path = "/webhook-secret", produces = MediaType.APPLICATION_JSON_VALUE)
    WebhookSecretResponse rotateOwnWebhookSecret(@RequestBody(required = false) byte[] raw, ApiPrincipal principal) {
        return rotate(principal.keyId(), raw);
    }

    /** The body is optional: {"overlap_seconds": N}, how long the previous secret keeps signing (default configured). */
    private WebhookSecretResponse rotate(UUID id, byte[] raw) {
        Duration overlap = webhooks.secretOverlap();
        if (raw != null && raw.length > 0) {
            JsonNode body = JsonBodies.read(raw);
            if (!body.isObject())
                throw ApiException.invalid("INVALID_FIELD", "", "the request body must be a JSON object");
            for (Map.Entry<String, JsonNode> e : body.properties()) {
                if (!e.getKey().equals("overlap_seconds")) {
                    throw ApiException.invalid("UNKNOWN_FIELD", e.getKey(), "unknown field '" + e.getKey() + "'");
                }
            }
            JsonNode seconds = body.get("overlap_seconds");
            long max = webhooks.maxSecretOverlap().toSeconds();
            if (seconds != null && !seconds.isNull()) {
                if (!seconds.isIntegralNumber()
                        || !seconds.canConvertToLong()
                        || seconds.longValue() < 0
                        || seconds.longValue() > max) {
                    throw ApiException.invalid(
                            "INVALID_FIELD",
                            "overlap_seconds",
                            "overlap_seconds must be an integer in [0, " + max + "]");
                }
                overlap = Duration.ofSeconds(seconds.longValue());
            }
        }
        ApiKeyService.RotatedSecret rotated = keys.rotateWebhookSecret(id, overlap)
                .orElseThrow(
                        () -> new ApiException(HttpStatus.NOT_FOUND, "API_KEY_NOT_FOUND", "no active API key " + id));
        return new WebhookSecretResponse(rotated.keyId(), rotated.webhookSecret(), rotated.previousSecretExpiresAt());
    }

    private static void requireAdmin(ApiPrincipal principal) {
        if (!principal.admin())
            throw new ApiException(HttpStatus.FORBIDDEN, "ADMIN_REQUIRED", "this endpoint needs an admin key");
    }
}
