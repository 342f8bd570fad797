package dev.vlm3d.webhooks;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** What a job may send a webhook about; the payload's type is {@code job.<name>}. */
public enum WebhookEvent {
    STARTED,
    PROGRESS,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    public static final List<String> NAMES =
            Arrays.stream(values()).map(WebhookEvent::wireName).toList();

    /** The name in requests, in the jobs table and in the payload's type. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<WebhookEvent> parse(String name) {
        return Arrays.stream(values()).filter(e -> e.wireName().equals(name)).findFirst();
    }
}
