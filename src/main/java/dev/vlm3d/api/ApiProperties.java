package dev.vlm3d.api;

import dev.vlm3d.options.GenerationOptions;
import dev.vlm3d.options.Preset;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Request limits and defaults of the REST API. The presets themselves (paper, paper-released, fast, preview) are
 * defined once in {@link Presets}; {@code defaultPreset} names the one a request without {@code preset} gets, and a
 * request's explicit {@code steps} wins over its preset's.
 */
@ConfigurationProperties("vlm3d.api")
public record ApiProperties(
        Integer maxPromptLength,
        Long maxBodyBytes,
        Integer maxSteps,
        String defaultPreset,
        Integer maxAttempts,
        Duration sseTimeout,
        Duration sseHeartbeat,
        Integer defaultPageSize,
        Integer maxPageSize,
        // how old the queue snapshot behind ETAs and long-queue positions may get (dev.vlm3d.jobs.QueueEstimates)
        Duration queueEstimateMaxAge) {

    public ApiProperties {
        if (maxPromptLength == null) maxPromptLength = 1000;
        if (maxBodyBytes == null) maxBodyBytes = 64L * 1024;
        if (maxSteps == null) maxSteps = 20_000;
        if (defaultPreset == null) defaultPreset = Preset.DEFAULT.wireName();
        if (maxAttempts == null) maxAttempts = 3;
        if (sseTimeout == null) sseTimeout = Duration.ofMinutes(30);
        if (sseHeartbeat == null) sseHeartbeat = Duration.ofSeconds(15);
        if (defaultPageSize == null) defaultPageSize = 20;
        if (maxPageSize == null) maxPageSize = 100;
        if (queueEstimateMaxAge == null) queueEstimateMaxAge = Duration.ofSeconds(1);
        if (!Preset.NAMES.contains(defaultPreset)) {
            throw new IllegalArgumentException(
                    "vlm3d.api.default-preset '" + defaultPreset + "' is not one of " + Preset.NAMES);
        }
        if (maxSteps > GenerationOptions.MAX_STEPS) maxSteps = GenerationOptions.MAX_STEPS;
    }
}
