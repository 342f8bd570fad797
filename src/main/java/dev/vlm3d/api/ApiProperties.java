package dev.vlm3d.api;

import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Request limits and defaults of the REST API. {@code presets} maps a preset name to its number of optimisation
 * steps; a request's explicit {@code steps} wins over its preset.
 */
@ConfigurationProperties("vlm3d.api")
public record ApiProperties(
        Integer maxPromptLength,
        Long maxBodyBytes,
        Integer maxSteps,
        String defaultPreset,
        Map<String, Integer> presets,
        Integer maxAttempts,
        Duration sseTimeout,
        Duration sseHeartbeat,
        Integer defaultPageSize,
        Integer maxPageSize) {

    public ApiProperties {
        if (maxPromptLength == null) maxPromptLength = 1000;
        if (maxBodyBytes == null) maxBodyBytes = 64L * 1024;
        if (maxSteps == null) maxSteps = 20_000;
        if (presets == null || presets.isEmpty()) presets = Map.of("draft", 2_500, "standard", 10_000, "high", 20_000);
        if (defaultPreset == null) defaultPreset = "standard";
        if (maxAttempts == null) maxAttempts = 3;
        if (sseTimeout == null) sseTimeout = Duration.ofMinutes(30);
        if (sseHeartbeat == null) sseHeartbeat = Duration.ofSeconds(15);
        if (defaultPageSize == null) defaultPageSize = 20;
        if (maxPageSize == null) maxPageSize = 100;
        if (!presets.containsKey(defaultPreset)) {
            throw new IllegalArgumentException("vlm3d.api.default-preset '" + defaultPreset + "' is not in vlm3d.api.presets");
        }
    }
}
