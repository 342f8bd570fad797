package dev.vlm3d.api;

import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The run options a client may set, with their types and ranges. Anything else is rejected (UNKNOWN_OPTION) so a
 * typo never silently runs a 20-minute job with defaults. The engine reads the validated values from the job.
 */
public final class RunOptions {

    enum Kind { NUMBER, INTEGER, STRING }

    record Spec(Kind kind, double min, double max, String description) {
    }

    static final Map<String, Spec> SPECS = new LinkedHashMap<>();

    static {
        SPECS.put("guidance_scale", new Spec(Kind.NUMBER, 1, 200, "classifier-free guidance scale of the SDS term (paper: 50)"));
        SPECS.put("lambda_vlm_start", new Spec(Kind.NUMBER, 0, 10_000, "VLM reward weight at step 0 (paper: 300)"));
        SPECS.put("lambda_vlm_end", new Spec(Kind.NUMBER, 0, 10_000, "VLM reward weight after annealing (paper: 1)"));
        SPECS.put("lambda_vlm_anneal_steps", new Spec(Kind.INTEGER, 0, 100_000, "steps over which the VLM weight anneals"));
        SPECS.put("learning_rate", new Spec(Kind.NUMBER, 1e-6, 1, "optimizer learning rate"));
        SPECS.put("render_resolution", new Spec(Kind.INTEGER, 32, 1024, "training render size in pixels"));
        SPECS.put("batch_views", new Spec(Kind.INTEGER, 1, 16, "views rendered per step"));
        SPECS.put("export_resolution", new Spec(Kind.INTEGER, 32, 512, "isosurface grid resolution of the exported mesh"));
        SPECS.put("render_count", new Spec(Kind.INTEGER, 1, 64, "number of PNG renders exported"));
        SPECS.put("vlm_question", new Spec(Kind.STRING, 1, 500, "question asked to the VLM about each render"));
    }

    private RunOptions() {
    }

    /** Validates a JSON object of options into plain Java values, or throws with every problem named. */
    static Map<String, Object> parse(JsonNode node) {
        if (node == null || node.isNull()) return Map.of();
        if (!node.isObject()) throw ApiException.invalid("INVALID_FIELD", "options", "options must be a JSON object");
        Map<String, Object> values = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String name = e.getKey();
            Spec spec = SPECS.get(name);
            if (spec == null) {
                throw ApiException.invalid("UNKNOWN_OPTION", "options." + name,
                        "unknown option '" + name + "'; known options: " + String.join(", ", SPECS.keySet()));
            }
            values.put(name, value("options." + name, spec, e.getValue()));
        }
        return values;
    }

    private static Object value(String field, Spec spec, JsonNode v) {
        switch (spec.kind()) {
            case NUMBER -> {
                if (!v.isNumber()) throw ApiException.invalid("INVALID_FIELD", field, field + " must be a number");
                double d = v.doubleValue();
                if (d < spec.min() || d > spec.max()) {
                    throw ApiException.invalid("INVALID_FIELD", field, field + " must be in [" + spec.min() + ", " + spec.max() + "]");
                }
                return d;
            }
            case INTEGER -> {
                if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                    throw ApiException.invalid("INVALID_FIELD", field, field + " must be an integer");
                }
                int i = v.intValue();
                if (i < spec.min() || i > spec.max()) {
                    throw ApiException.invalid("INVALID_FIELD", field,
                            field + " must be in [" + (long) spec.min() + ", " + (long) spec.max() + "]");
                }
                return i;
            }
            default -> {
                if (!v.isString()) throw ApiException.invalid("INVALID_FIELD", field, field + " must be a string");
                String s = v.stringValue();
                if (s.isBlank() || s.length() > spec.max()) {
                    throw ApiException.invalid("INVALID_FIELD", field, field + " must be 1 to " + (long) spec.max() + " characters");
                }
                return s;
            }
        }
    }
}
