package dev.vlm3d.api;

import dev.vlm3d.options.GenerationOptions;
import dev.vlm3d.options.Preset;
import dev.vlm3d.text.InputText;
import dev.vlm3d.webhooks.WebhookEvent;
import dev.vlm3d.webhooks.WebhookTargets;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.JsonNode;

/**
 * Turns a POST /jobs body into a {@link CreateJobRequest}. Types are checked strictly (no "42" for 42, no 42 for a
 * prompt) because lenient coercion would store something the client did not mean.
 */
final class JobRequestParser {

    private static final Set<String> FIELDS = Set.of(
            "prompt",
            "negative_prompt",
            "seed",
            "preset",
            "steps",
            "priority",
            "options",
            "webhook_url",
            "webhook_events",
            "ttl_seconds",
            "no_expiry");

    private final ApiProperties properties;
    private final WebhookTargets targets;

    JobRequestParser(ApiProperties properties, WebhookTargets targets) {
        this.properties = properties;
        this.targets = targets;
    }

    CreateJobRequest parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalid("INVALID_FIELD", "", "the request body must be a JSON object");
        }
        for (Map.Entry<String, JsonNode> e : body.properties()) {
            if (!FIELDS.contains(e.getKey())) {
                throw ApiException.invalid("UNKNOWN_FIELD", e.getKey(), "unknown field '" + e.getKey() + "'");
            }
        }
        String prompt = text(body, "prompt", true);
        String negative = text(body, "negative_prompt", false);
        Long seed = null;
        JsonNode seedNode = body.get("seed");
        if (seedNode != null && !seedNode.isNull()) {
            if (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong() || seedNode.longValue() < 0) {
                throw ApiException.invalid("INVALID_FIELD", "seed", "seed must be a non-negative 64-bit integer");
            }
            seed = seedNode.longValue();
        }
        String preset = text(body, "preset", false);
        if (preset != null && !Preset.NAMES.contains(preset)) {
            throw ApiException.invalid(
                    "INVALID_FIELD", "preset", "preset must be one of " + String.join(", ", Preset.NAMES));
        }
        Integer steps = integer(body, "steps", 1, properties.maxSteps());
        Integer priority = integer(body, "priority", 0, 9);
        // the job stores its effective options (preset values + overrides), so what runs is what the API echoes
        GenerationOptions effective =
                RunOptions.resolve(preset != null ? preset : properties.defaultPreset(), steps, body.get("options"));
        String webhookUrl = webhookUrl(body);
        List<String> webhookEvents = webhookEvents(body);
        if (webhookEvents != null && webhookUrl == null) {
            throw ApiException.invalid("INVALID_FIELD", "webhook_events", "webhook_events needs a webhook_url");
        }
        Long ttl = null;
        JsonNode ttlNode = body.get("ttl_seconds");
        if (ttlNode != null && !ttlNode.isNull()) {
            if (!ttlNode.isIntegralNumber()
                    || !ttlNode.canConvertToLong()
                    || ttlNode.longValue() < 1
                    || ttlNode.longValue() > ApiKeyController.MAX_TTL_SECONDS) {
                throw ApiException.invalid(
                        "INVALID_FIELD",
                        "ttl_seconds",
                        "ttl_seconds must be an integer in [1, " + ApiKeyController.MAX_TTL_SECONDS + "]");
            }
            ttl = ttlNode.longValue();
        }
        JsonNode noExpiryNode = body.get("no_expiry");
        if (noExpiryNode != null && !noExpiryNode.isNull() && !noExpiryNode.isBoolean()) {
            throw ApiException.invalid("INVALID_FIELD", "no_expiry", "no_expiry must be a boolean");
        }
        boolean noExpiry = noExpiryNode != null && noExpiryNode.booleanValue();
        if (noExpiry && ttl != null) {
            throw ApiException.invalid("INVALID_FIELD", "no_expiry", "no_expiry and ttl_seconds exclude each other");
        }
        return new CreateJobRequest(
                prompt,
                negative,
                seed,
                effective.preset().wireName(),
                effective.steps(),
                priority == null ? 0 : priority,
                effective.toMap(),
                webhookUrl,
                webhookEvents,
                ttl,
                noExpiry);
    }

    /**
     * The webhook URL as sent, when it is a well-formed http(s) URL whose host resolves to addresses the service may
     * call (README "Webhooks"): a malformed one is a 400, a forbidden or unresolvable target a 422.
     */
    private String webhookUrl(JsonNode body) {
        JsonNode node = body.get("webhook_url");
        if (node == null || node.isNull()) return null;
        if (!node.isString())
            throw ApiException.invalid("INVALID_FIELD", "webhook_url", "webhook_url must be a string");
        String url = node.stringValue();
        URI uri;
        try {
            uri = WebhookTargets.parse(url);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("INVALID_FIELD", "webhook_url", "webhook_url " + e.getMessage());
        }
        try {
            targets.check(uri);
        } catch (WebhookTargets.RefusedException e) {
            throw new ApiException(
                    HttpStatus.UNPROCESSABLE_CONTENT,
                    e.code(),
                    e.getMessage(),
                    List.of(new ApiException.FieldError("webhook_url", e.getMessage())),
                    Map.of(),
                    new HttpHeaders());
        }
        return url;
    }

    private static List<String> webhookEvents(JsonNode body) {
        JsonNode node = body.get("webhook_events");
        if (node == null || node.isNull()) return null;
        String expected = "webhook_events must be a non-empty array of " + String.join(", ", WebhookEvent.NAMES);
        if (!node.isArray() || node.isEmpty()) throw ApiException.invalid("INVALID_FIELD", "webhook_events", expected);
        TreeSet<String> events = new TreeSet<>();
        for (JsonNode event : node) {
            if (!event.isString() || WebhookEvent.parse(event.stringValue()).isEmpty()) {
                throw ApiException.invalid("INVALID_FIELD", "webhook_events", expected);
            }
            events.add(event.stringValue());
        }
        return List.copyOf(events);
    }

    /**
     * A text field exactly as sent (never trimmed or re-encoded): refused when it is blank where required, too
     * long, holds a character that cannot be stored faithfully ({@link InputText#forbiddenCharacter}), or a model
     * control token (the check the worker's reward makes, {@link InputText#controlToken}). An empty optional field
     * is the same as an absent one.
     */
    private String text(JsonNode body, String field, boolean required) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            if (required) throw ApiException.invalid("INVALID_FIELD", field, field + " is required");
            return null;
        }
        if (!node.isString()) throw ApiException.invalid("INVALID_FIELD", field, field + " must be a string");
        String value = node.stringValue();
        if (required && value.isBlank())
            throw ApiException.invalid("INVALID_FIELD", field, field + " must not be empty");
        if (value.length() > properties.maxPromptLength()) {
            throw ApiException.invalid(
                    "PROMPT_TOO_LONG",
                    field,
                    field + " is longer than " + properties.maxPromptLength() + " characters");
        }
        String forbidden = InputText.forbiddenCharacter(value);
        if (forbidden != null) {
            throw ApiException.invalid("INVALID_CHARACTER", field, field + " contains " + forbidden);
        }
        String token = InputText.controlToken(value);
        if (token != null) {
            throw ApiException.invalid(
                    "PROMPT_REJECTED",
                    field,
                    field + " contains the model control token " + token
                            + "; control tokens would be read as chat-template markup, not as text");
        }
        return value.isEmpty() ? null : value;
    }

    private static Integer integer(JsonNode body, String field, int min, int max) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) return null;
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < min || node.intValue() > max) {
            throw ApiException.invalid(
                    "INVALID_FIELD", field, field + " must be an integer in [" + min + ", " + max + "]");
        }
        return node.intValue();
    }
}
