package dev.vlm3d.options;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The effective options of one generation: a preset's values with the job's overrides applied. This is what is stored
 * with the job (as {@link #toMap()}) and echoed by the API, and what the worker and the CLI run. The preset fixes
 * everything else (render sizes, batch, sampler, field, export), see {@link Preset}.
 *
 * @param preset               the preset the run is based on
 * @param steps                optimizer steps
 * @param lambdaVlmStart       reward weight at step 0 (paper: 300)
 * @param lambdaVlmEnd         reward weight after annealing (paper: 1)
 * @param lambdaVlmAnnealSteps steps over which the weight anneals linearly (paper: 10000)
 * @param question             question template asked to the VLM (paper: SELECTED)
 * @param singleView           give the VLM only the first render of each step (paper's ablation) instead of all
 * @param reward               VLM reward on; off is the MVDream baseline (SDS only)
 * @param backbone             diffusion model of the SDS term
 */
public record GenerationOptions(
        Preset preset,
        int steps,
        double lambdaVlmStart,
        double lambdaVlmEnd,
        int lambdaVlmAnnealSteps,
        VlmQuestion question,
        boolean singleView,
        boolean reward,
        Backbone backbone) {

    public static final int MAX_STEPS = 20_000;
    public static final double MAX_LAMBDA = 10_000;

    /** The per-job option names a client may set (besides the top-level preset, steps and seed). */
    public static final List<String> NAMES = List.of(
            "lambda_vlm_start",
            "lambda_vlm_end",
            "lambda_vlm_anneal_steps",
            "vlm_question",
            "vlm_views",
            "reward",
            "backbone");

    public GenerationOptions {
        java.util.Objects.requireNonNull(preset, "preset");
        if (steps < 1 || steps > MAX_STEPS) {
            throw new InvalidOptionException(
                    "INVALID_FIELD", "steps", "steps must be an integer in [1, " + MAX_STEPS + "]");
        }
        checkLambda("lambda_vlm_start", lambdaVlmStart);
        checkLambda("lambda_vlm_end", lambdaVlmEnd);
        if (lambdaVlmAnnealSteps < 0 || lambdaVlmAnnealSteps > 100_000) {
            throw new InvalidOptionException(
                    "INVALID_FIELD",
                    "options.lambda_vlm_anneal_steps",
                    "options.lambda_vlm_anneal_steps must be an integer in [0, 100000]");
        }
    }

    private static void checkLambda(String name, double value) {
        if (!(value >= 0 && value <= MAX_LAMBDA)) {
            throw new InvalidOptionException(
                    "INVALID_FIELD",
                    "options." + name,
                    "options." + name + " must be a number in [0, " + (long) MAX_LAMBDA + "]");
        }
    }

    /**
     * A preset refined by a job: {@code steps} (null = the preset's) and option overrides given as plain JSON values
     * (Number, String, Boolean). When steps change and no anneal length is given, the λ_VLM anneal is scaled with
     * them, so "paper with 2000 steps" still anneals 300 → 1 within the run.
     */
    public static GenerationOptions resolve(String presetName, Integer steps, Map<String, ?> overrides) {
        GenerationOptions base = Preset.of(presetName).defaults();
        int effectiveSteps = steps != null ? steps : base.steps();
        int anneal = steps != null
                ? (int) Math.min(
                        100_000, Math.round((double) base.lambdaVlmAnnealSteps() * effectiveSteps / base.steps()))
                : base.lambdaVlmAnnealSteps();
        double start = base.lambdaVlmStart();
        double end = base.lambdaVlmEnd();
        VlmQuestion question = base.question();
        boolean single = base.singleView();
        boolean reward = base.reward();
        Backbone backbone = base.backbone();
        if (overrides != null) {
            for (Map.Entry<String, ?> e : overrides.entrySet()) {
                String field = "options." + e.getKey();
                Object v = e.getValue();
                switch (e.getKey()) {
                    case "lambda_vlm_start" -> start = number(field, v);
                    case "lambda_vlm_end" -> end = number(field, v);
                    case "lambda_vlm_anneal_steps" -> anneal = integer(field, v);
                    case "vlm_question" ->
                        question = VlmQuestion.valueOf(
                                choice(field, v, List.of("selected", "a", "b")).toUpperCase(Locale.ROOT));
                    case "vlm_views" ->
                        single = choice(field, v, List.of("all", "one")).equals("one");
                    case "reward" -> reward = bool(field, v);
                    case "backbone" ->
                        backbone = Backbone.valueOf(
                                choice(field, v, List.of("mvdream", "sd21")).toUpperCase(Locale.ROOT));
                    default ->
                        throw new InvalidOptionException(
                                "UNKNOWN_OPTION",
                                field,
                                "unknown option '" + e.getKey() + "'; known options: " + String.join(", ", NAMES));
                }
            }
        }
        return new GenerationOptions(
                base.preset(), effectiveSteps, start, end, anneal, question, single, reward, backbone);
    }

    /** Reads back what {@link #toMap()} wrote (a stored job); {@code steps} comes from the job row. */
    public static GenerationOptions fromStored(String preset, int steps, Map<String, ?> stored) {
        Map<String, Object> overrides = new LinkedHashMap<>();
        if (stored != null) {
            stored.forEach((k, v) -> {
                if (NAMES.contains(k)) {
                    overrides.put(k, v);
                }
            });
        }
        return resolve(preset, steps, overrides);
    }

    /** The stored and echoed form: every option with its effective value. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lambda_vlm_start", lambdaVlmStart);
        m.put("lambda_vlm_end", lambdaVlmEnd);
        m.put("lambda_vlm_anneal_steps", lambdaVlmAnnealSteps);
        m.put("vlm_question", question.wireName());
        m.put("vlm_views", singleView ? "one" : "all");
        m.put("reward", reward);
        m.put("backbone", backbone.wireName());
        return m;
    }

    private static double number(String field, Object v) {
        if (!(v instanceof Number n)) {
            throw new InvalidOptionException("INVALID_FIELD", field, field + " must be a number");
        }
        return n.doubleValue();
    }

    private static int integer(String field, Object v) {
        boolean integral = v instanceof Integer
                || v instanceof Long
                || v instanceof Short
                || (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()));
        if (!integral || Math.abs(((Number) v).doubleValue()) > Integer.MAX_VALUE) {
            throw new InvalidOptionException("INVALID_FIELD", field, field + " must be an integer");
        }
        return ((Number) v).intValue();
    }

    private static boolean bool(String field, Object v) {
        if (!(v instanceof Boolean b)) {
            throw new InvalidOptionException("INVALID_FIELD", field, field + " must be true or false");
        }
        return b;
    }

    private static String choice(String field, Object v, List<String> allowed) {
        if (!(v instanceof String s) || !allowed.contains(s.toLowerCase(Locale.ROOT))) {
            throw new InvalidOptionException(
                    "INVALID_FIELD", field, field + " must be one of " + String.join(", ", allowed));
        }
        return s.toLowerCase(Locale.ROOT);
    }
}
