package dev.vlm3d.webhooks;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Webhook delivery ({@code vlm3d.webhooks.*}, README "Webhooks").
 * <ul>
 * <li>{@code dispatcherEnabled}: this replica sends deliveries (any number of replicas may; SKIP LOCKED claims keep
 * them apart).</li>
 * <li>{@code allowList}: CIDRs ({@code 10.0.0.0/8}) or host names ({@code hooks.internal}, {@code *.corp.example})
 * that may be targeted although they are loopback, link-local or private; empty = only public addresses.</li>
 * <li>{@code timeout}: the whole of one attempt (connect, request, response); a slower receiver counts as a failure.</li>
 * <li>{@code claimTimeout}: how long a claimed delivery stays invisible to other replicas; when a replica dies in
 * the middle of an attempt another one retries after this. Must exceed {@code timeout}.</li>
 * <li>{@code retryBaseDelay}, {@code retryMaxDelay}: exponential backoff with jitter between attempts;
 * {@code retryWindow}: how long after the event attempts go on before the delivery is FAILED (about a day).</li>
 * <li>{@code progressInterval}: a job sends at most one progress event per this interval.</li>
 * <li>{@code secretOverlap}: default time the previous signing secret keeps signing after a rotation;
 * {@code maxSecretOverlap} bounds what a rotation request may ask for.</li>
 * </ul>
 */
@ConfigurationProperties("vlm3d.webhooks")
public record WebhookProperties(
        Boolean dispatcherEnabled,
        List<String> allowList,
        Duration timeout,
        Duration claimTimeout,
        Duration retryBaseDelay,
        Duration retryMaxDelay,
        Duration retryWindow,
        Duration pollInterval,
        Integer concurrency,
        Duration progressInterval,
        Duration secretOverlap,
        Duration maxSecretOverlap) {

    public WebhookProperties {
        if (dispatcherEnabled == null) dispatcherEnabled = true;
        allowList = allowList == null
                ? List.of()
                : allowList.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (timeout == null) timeout = Duration.ofSeconds(10);
        if (claimTimeout == null) claimTimeout = Duration.ofSeconds(60);
        if (retryBaseDelay == null) retryBaseDelay = Duration.ofSeconds(10);
        if (retryMaxDelay == null) retryMaxDelay = Duration.ofHours(4);
        if (retryWindow == null) retryWindow = Duration.ofHours(24);
        if (pollInterval == null) pollInterval = Duration.ofSeconds(1);
        if (concurrency == null || concurrency < 1) concurrency = 8;
        if (progressInterval == null) progressInterval = Duration.ofSeconds(10);
        if (secretOverlap == null) secretOverlap = Duration.ofHours(24);
        if (maxSecretOverlap == null) maxSecretOverlap = Duration.ofDays(7);
        if (claimTimeout.compareTo(timeout) <= 0) {
            throw new IllegalArgumentException(
                    "vlm3d.webhooks.claim-timeout must be longer than vlm3d.webhooks.timeout");
        }
    }

    public static WebhookProperties defaults() {
        return new WebhookProperties(null, null, null, null, null, null, null, null, null, null, null, null);
    }

    public WebhookProperties withAllowList(List<String> entries) {
        return new WebhookProperties(
                dispatcherEnabled,
                entries,
                timeout,
                claimTimeout,
                retryBaseDelay,
                retryMaxDelay,
                retryWindow,
                pollInterval,
                concurrency,
                progressInterval,
                secretOverlap,
                maxSecretOverlap);
    }
}
