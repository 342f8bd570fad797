package dev.vlm3d.api;

import java.util.Map;

/** A validated POST /jobs body. {@code seed} is null when the server is to choose one. */
public record CreateJobRequest(String prompt, String negativePrompt, Long seed, String preset, int steps, int priority,
                               Map<String, Object> options) {
}
