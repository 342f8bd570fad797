package dev.vlm3d.evaluation;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The GPTEval3D tournament "v0" as the benchmark ships it: the six criteria, the ensembles (instruction file, views,
 * RGB/normal, criteria, questions) and the 13 published ratings, read from its {@code config.json}, and the nine
 * instruction texts, all kept verbatim under {@code resources/gpteval3d/} (sources named in docs/evaluation.md).
 */
public final class Gpteval3d {

    /** The suffix the benchmark appends to an instruction (its make_comparison_prompt), verbatim. */
    static final String PROMPT_SUFFIX = "Following is the text prompt from which these two 3D objects are generated:\n"
            + "\"%s\"\nPlease compare these two 3D objects as instructed.";

    /** The anchor of the published table, frozen at 1000. */
    public static final String ANCHOR = "dreamfusion";

    /** Short names of the six criteria, in the benchmark's index order (docs/evaluation.md). */
    public static final List<String> CRITERION_KEYS =
            List.of("alignment", "plausibility", "tg_coherency", "texture_details", "geometry_details", "overall");

    private static final String ROOT = "gpteval3d/";

    /** One ensemble: how many views, which renders, which instruction, which criteria its answer lines map to. */
    public record Ensemble(
            int numViews,
            boolean rgb,
            boolean normal,
            String instructionFile,
            List<Integer> dimensions,
            int numComparisons) {

        /** The instruction's file name without folder, e.g. {@code n4_full.txt}. */
        public String fileName() {
            return instructionFile.substring(instructionFile.lastIndexOf('/') + 1);
        }
    }

    private final List<String> criteria;
    private final List<Ensemble> ensembles;
    private final List<Map<String, Double>> scores;

    private Gpteval3d(List<String> criteria, List<Ensemble> ensembles, List<Map<String, Double>> scores) {
        this.criteria = criteria;
        this.ensembles = ensembles;
        this.scores = scores;
    }

    public static Gpteval3d load() {
        JsonObject cfg = JsonParser.parseString(resource("config.json")).getAsJsonObject();
        List<String> criteria = new ArrayList<>();
        for (JsonElement c : cfg.getAsJsonArray("criteria")) {
            criteria.add(c.getAsJsonArray().get(0).getAsString());
        }
        List<Ensemble> ensembles = new ArrayList<>();
        for (JsonElement e : cfg.getAsJsonArray("ensembles")) {
            JsonObject o = e.getAsJsonObject();
            List<Integer> dims = new ArrayList<>();
            for (JsonElement d : o.getAsJsonArray("dimensions")) {
                dims.add(d.getAsInt());
            }
            ensembles.add(new Ensemble(
                    o.get("num_views").getAsInt(),
                    o.get("rgb").getAsInt() > 0,
                    o.get("normal").getAsInt() > 0,
                    o.get("gpt_prompt").getAsString(),
                    List.copyOf(dims),
                    o.get("num_comparisons").getAsInt()));
        }
        List<Map<String, Double>> scores = new ArrayList<>();
        JsonArray s = cfg.getAsJsonArray("scores");
        for (JsonElement c : s) {
            Map<String, Double> m = new LinkedHashMap<>();
            c.getAsJsonObject()
                    .entrySet()
                    .forEach(en -> m.put(en.getKey(), en.getValue().getAsDouble()));
            scores.add(m);
        }
        return new Gpteval3d(List.copyOf(criteria), List.copyOf(ensembles), List.copyOf(scores));
    }

    /** Criterion labels as spelled in the config, e.g. "[0] Text-Asset Alignment". */
    public List<String> criteria() {
        return criteria;
    }

    public List<Ensemble> ensembles() {
        return ensembles;
    }

    /** The published (GPT-4V-judged) ratings of one criterion, method → rating, a fresh mutable copy. */
    public Map<String, Double> publishedScores(int criterion) {
        return new LinkedHashMap<>(scores.get(criterion));
    }

    /** The instruction text of an ensemble, verbatim. */
    public String instruction(Ensemble e) {
        return resource("gpt_prompts/" + e.fileName());
    }

    /** The whole user text of one question: instruction + the benchmark's suffix quoting the prompt. */
    public String question(Ensemble e, String prompt) {
        return instruction(e) + String.format(Locale.ROOT, PROMPT_SUFFIX, prompt);
    }

    static String resource(String name) {
        try (InputStream in = Gpteval3d.class.getClassLoader().getResourceAsStream(ROOT + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + ROOT + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
