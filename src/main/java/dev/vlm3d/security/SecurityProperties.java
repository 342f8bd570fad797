package dev.vlm3d.security;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code adminKey}: bootstrap admin API key (e.g. from a Kubernetes Secret); empty means no admin key, so keys can
 * only be created directly in the database. {@code keyCacheTtl}: how long a verified key is trusted without a
 * database look-up (a revoked key stops working within this time). {@code defaultMaxQueuedJobs}: queued-jobs cap of
 * keys created without an explicit one.
 */
@ConfigurationProperties("vlm3d.security")
public record SecurityProperties(
        String adminKey, Duration keyCacheTtl, Integer defaultMaxQueuedJobs, Integer adminMaxQueuedJobs) {

    public SecurityProperties {
        if (keyCacheTtl == null) keyCacheTtl = Duration.ofSeconds(10);
        if (defaultMaxQueuedJobs == null) defaultMaxQueuedJobs = 20;
        if (adminMaxQueuedJobs == null) adminMaxQueuedJobs = 1000;
    }
}
