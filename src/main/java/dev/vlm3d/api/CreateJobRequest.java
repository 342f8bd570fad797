package dev.vlm3d.api;

import java.util.List;
import java.util.Map;

/**
 * A validated POST /jobs body. {@code seed} is null when the server is to choose one; {@code webhookUrl} is null
 * without a webhook, and {@code webhookEvents} null when all events are asked for (else sorted, no duplicates);
 * {@code ttlSeconds} is null when the job takes its key's default time to live, and {@code noExpiry} asks for none
 * (JobService checks both against the key).
 */
public record CreateJobRequest(
        String prompt,
        String negativePrompt,
        Long seed,
        String preset,
        int steps,
        int priority,
        Map<String, Object> options,
        String webhookUrl,
        List<String> webhookEvents,
        Long ttlSeconds,
        boolean noExpiry) {}
