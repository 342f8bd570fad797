package dev.vlm3d.api;

import dev.vlm3d.options.GenerationOptions;
import dev.vlm3d.options.InvalidOptionException;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Turns the request's preset, steps and {@code options} into the job's effective options. The names, types, ranges
 * and presets are defined once, in {@link GenerationOptions} and {@link dev.vlm3d.pipeline.Presets}; anything else is
 * rejected (UNKNOWN_OPTION) so a typo never silently runs a long job with defaults.
 */
public final class RunOptions {

    private RunOptions() {}

    /** Validates and resolves; throws with the offending field named. */
    static GenerationOptions resolve(String preset, Integer steps, JsonNode node) {
        try {
            return GenerationOptions.resolve(preset, steps, plainValues(node));
        } catch (InvalidOptionException e) {
            throw ApiException.invalid(e.code(), e.field(), e.getMessage());
        }
    }

    /** JSON values as Java values (Number, String, Boolean); anything structured is refused here. */
    private static Map<String, Object> plainValues(JsonNode node) {
        if (node == null || node.isNull()) return Map.of();
        if (!node.isObject()) throw ApiException.invalid("INVALID_FIELD", "options", "options must be a JSON object");
        Map<String, Object> values = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String field = "options." + e.getKey();
            JsonNode v = e.getValue();
            if (!GenerationOptions.NAMES.contains(e.getKey())) {
                throw ApiException.invalid(
                        "UNKNOWN_OPTION",
                        field,
                        "unknown option '" + e.getKey() + "'; known options: "
                                + String.join(", ", GenerationOptions.NAMES));
            }
            if (v.isIntegralNumber() && v.canConvertToLong()) {
                values.put(e.getKey(), v.longValue());
            } else if (v.isNumber()) {
                values.put(e.getKey(), v.doubleValue());
            } else if (v.isString()) {
                values.put(e.getKey(), v.stringValue());
            } else if (v.isBoolean()) {
                values.put(e.getKey(), v.booleanValue());
            } else {
                throw ApiException.invalid("INVALID_FIELD", field, field + " must be a number, string or boolean");
            }
        }
        return values;
    }
}
