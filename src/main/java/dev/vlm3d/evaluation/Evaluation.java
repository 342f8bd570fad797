package dev.vlm3d.evaluation;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import javax.imageio.ImageIO;

/**
 * One evaluation run, the benchmark's flow: views (render what is not in the layout yet) → questions (schedule) →
 * composites → judge → Elo per criterion → comparisons.json, questions.json, scores.json and ratings.png in the
 * output folder. Used by the {@code evaluate} command and by evaluation jobs on the workers.
 */
public final class Evaluation {

    public static final String COMPARISONS = "comparisons.json";
    public static final String QUESTIONS = "questions.json";
    public static final String SCORES = "scores.json";
    public static final String CHART = "ratings.png";

    /** Tournament: every method re-judged, one anchor frozen at 1000. New method: ours against the frozen table. */
    public enum Mode {
        TOURNAMENT,
        NEW_METHOD;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Mode parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT).replace('_', '-')) {
                case "tournament" -> TOURNAMENT;
                case "new-method" -> NEW_METHOD;
                default -> throw new IllegalArgumentException("mode must be tournament or new-method, not " + s);
            };
        }
    }

    /**
     * @param prompts      the prompt list (id = index)
     * @param methods      ours, by name
     * @param baselines    methods already rendered in the layout (e.g. the 13 published ones), by name; may be empty
     * @param anchor       tournament anchor (null: dreamfusion when present, else the first of ours)
     * @param maxQuestions stop scheduling after this many questions (≤ 0: the benchmark's 1,500 slots)
     * @param plumbing     the judge has tiny random weights: label every output so
     * @param keepComposites write each question's composite image under questions/
     */
    public record Plan(
            List<String> prompts,
            Map<String, MethodAssets> methods,
            Map<String, MethodAssets> baselines,
            Mode mode,
            String anchor,
            long seed,
            int maxQuestions,
            ViewExporter exporter,
            boolean plumbing,
            boolean keepComposites) {}

    /** Progress of a run: {@code done} of {@code total} units (a render job or a question). */
    @FunctionalInterface
    public interface Progress {
        void update(String stage, int done, int total);
    }

    /** What a run wrote. */
    public record Outcome(List<Path> files, int questions, Map<Integer, EloFit.Result> ratings) {}

    private final Gpteval3d benchmark;

    public Evaluation(Gpteval3d benchmark) {
        this.benchmark = benchmark;
    }

    public Outcome run(Plan plan, Judge judge, Path out, Progress progress) throws IOException {
        Files.createDirectories(out);
        Map<String, MethodAssets> all = new LinkedHashMap<>(plan.baselines());
        for (String m : plan.methods().keySet()) {
            if (all.containsKey(m)) {
                throw new IllegalArgumentException("method name " + m + " is used twice");
            }
        }
        all.putAll(plan.methods());
        if (plan.mode() == Mode.NEW_METHOD) {
            Map<String, Double> table = benchmark.publishedScores(0);
            if (plan.baselines().isEmpty()) {
                throw new IllegalArgumentException("new-method mode needs the published methods' renders (baselines)");
            }
            for (String b : plan.baselines().keySet()) {
                if (!table.containsKey(b)) {
                    throw new IllegalArgumentException(
                            "baseline " + b + " is not in the published table " + table.keySet());
                }
            }
        } else if (all.size() < 2) {
            throw new IllegalArgumentException("a tournament needs at least two methods");
        }
        Random rng = new Random(plan.seed());
        List<Schedule.Question> questions = schedule(plan, all, rng);
        int renders = 0;
        for (MethodAssets m : all.values()) {
            renders += m.glbs().size();
        }
        int total = renders + questions.size();
        int[] done = {0};
        Map<String, Map<Integer, Path>> views = renderViews(
                all, plan.exporter(), out.resolve("views"), () -> progress.update("rendering views", ++done[0], total));

        Map<Integer, List<Map<String, Object>>> comparisons = new TreeMap<>();
        for (int c = 0; c < benchmark.criteria().size(); c++) {
            comparisons.put(c, new ArrayList<>());
        }
        Map<String, Object> questionInfo = new LinkedHashMap<>();
        Map<Integer, List<EloFit.Outcome>> outcomes = new TreeMap<>();
        if (plan.keepComposites()) {
            Files.createDirectories(out.resolve("questions"));
        }
        for (Schedule.Question q : questions) {
            Gpteval3d.Ensemble e = benchmark.ensembles().get(q.ensemble());
            BufferedImage composite = Composites.sideBySide(
                    Composites.methodImage(views.get(q.m1()).get(q.promptId()), e),
                    Composites.methodImage(views.get(q.m2()).get(q.promptId()), e));
            String prompt = plan.prompts().get(q.promptId());
            if (plan.keepComposites()) {
                ImageIO.write(
                        composite,
                        "png",
                        out.resolve("questions").resolve(q.id() + ".png").toFile());
            }
            List<Judge.Answer> answers = judge.judge(
                    composite, benchmark.question(e, prompt), e.dimensions().size());
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("m1", q.m1());
            info.put("m2", q.m2());
            info.put("prompt", prompt);
            info.put("prompt_id", q.promptId());
            info.put("dimensions", e.dimensions());
            info.put("gpt_prompt", e.instructionFile());
            info.put("composite_size", List.of(composite.getWidth(), composite.getHeight()));
            List<Integer> choices = new ArrayList<>();
            for (int k = 0; k < answers.size(); k++) {
                Judge.Answer a = answers.get(k);
                int criterion = e.dimensions().get(k);
                choices.add(a.choice());
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("m1", q.m1());
                row.put("m2", q.m2());
                row.put("result", a.result());
                row.put("question", q.id());
                row.put("prompt_id", q.promptId());
                row.put("gpt_prompt", e.fileName());
                row.put("choice", a.choice());
                row.put("probabilities", a.probabilities());
                row.put("option_mass", a.optionMass());
                comparisons.get(criterion).add(row);
                outcomes.computeIfAbsent(criterion, x -> new ArrayList<>())
                        .add(new EloFit.Outcome(q.m1(), q.m2(), a.result()));
            }
            info.put("answer", choices);
            questionInfo.put(Integer.toString(q.id()), info);
            progress.update("judging", ++done[0], total);
        }
        Map<Integer, EloFit.Result> ratings = fit(plan, all, outcomes);

        Gson gson = new GsonBuilder()
                .setPrettyPrinting()
                .disableHtmlEscaping()
                .serializeSpecialFloatingPointValues()
                .create();
        Map<String, Object> cmp = new LinkedHashMap<>();
        comparisons.forEach((c, rows) -> cmp.put(Integer.toString(c), rows));
        List<Path> files = new ArrayList<>();
        files.add(write(out.resolve(COMPARISONS), gson.toJson(cmp)));
        files.add(write(out.resolve(QUESTIONS), gson.toJson(questionInfo)));
        Map<String, Object> scores = scores(plan, judge, questions.size(), outcomes, ratings);
        files.add(write(out.resolve(SCORES), gson.toJson(scores)));
        Path chart = out.resolve(CHART);
        RatingsChart.write(benchmark, ratings, plan.methods().keySet(), plan.plumbing(), plan.mode(), chart);
        files.add(chart);
        return new Outcome(files, questions.size(), ratings);
    }

    private List<Schedule.Question> schedule(Plan plan, Map<String, MethodAssets> all, Random rng) {
        Map<String, Set<Integer>> ids = Schedule.promptIds(all);
        if (plan.mode() == Mode.TOURNAMENT) {
            return Schedule.tournament(ids, benchmark.ensembles(), rng, plan.maxQuestions());
        }
        List<Schedule.Question> out = new ArrayList<>();
        for (String ours : plan.methods().keySet()) {
            out.addAll(Schedule.newMethod(
                    ours,
                    ids,
                    new ArrayList<>(plan.baselines().keySet()),
                    benchmark.ensembles(),
                    rng,
                    plan.maxQuestions(),
                    out.size()));
        }
        return out;
    }

    /** Prompt id → view folder per method, rendering GLBs into {@code root/<method>/<id>/0}. */
    private static Map<String, Map<Integer, Path>> renderViews(
            Map<String, MethodAssets> all, ViewExporter exporter, Path root, Runnable tick) throws IOException {
        Map<String, Map<Integer, Path>> out = new LinkedHashMap<>();
        for (MethodAssets m : all.values()) {
            Map<Integer, Path> v = new TreeMap<>(m.views());
            for (Map.Entry<Integer, Path> glb : m.glbs().entrySet()) {
                Path folder = BenchmarkViews.assetFolder(root.resolve(m.name()), glb.getKey());
                exporter.exportGlb(glb.getValue(), folder);
                v.put(glb.getKey(), folder);
                tick.run();
            }
            out.put(m.name(), v);
        }
        return out;
    }

    private Map<Integer, EloFit.Result> fit(
            Plan plan, Map<String, MethodAssets> all, Map<Integer, List<EloFit.Outcome>> outcomes) {
        Map<Integer, EloFit.Result> out = new TreeMap<>();
        for (int c = 0; c < benchmark.criteria().size(); c++) {
            List<EloFit.Outcome> o = outcomes.getOrDefault(c, List.of());
            if (o.isEmpty()) {
                continue;
            }
            if (plan.mode() == Mode.NEW_METHOD) {
                Map<String, Double> table = benchmark.publishedScores(c);
                out.put(
                        c,
                        EloFit.againstTable(
                                table, new ArrayList<>(plan.methods().keySet()), o));
            } else {
                List<String> methods = new ArrayList<>(all.keySet());
                out.put(c, EloFit.tournament(methods, o, anchor(plan, all)));
            }
        }
        return out;
    }

    static String anchor(Plan plan, Map<String, MethodAssets> all) {
        if (plan.anchor() != null) {
            if (!all.containsKey(plan.anchor())) {
                throw new IllegalArgumentException("anchor " + plan.anchor() + " is not one of the methods");
            }
            return plan.anchor();
        }
        return all.containsKey(Gpteval3d.ANCHOR)
                ? Gpteval3d.ANCHOR
                : plan.methods().keySet().iterator().next();
    }

    private Map<String, Object> scores(
            Plan plan,
            Judge judge,
            int questions,
            Map<Integer, List<EloFit.Outcome>> outcomes,
            Map<Integer, EloFit.Result> ratings) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("plumbing", plan.plumbing());
        if (plan.plumbing()) {
            s.put("note", "PLUMBING RUN: the judge has tiny random weights; these numbers judge nothing.");
        }
        s.put("judge", judge.describe());
        s.put("mode", plan.mode().wireName());
        if (plan.mode() == Mode.TOURNAMENT) {
            s.put("anchor", anchor(plan, mergedNames(plan)));
        } else {
            s.put(
                    "frozen",
                    "the published GPT-4V ratings (config.json scores); not comparable, see docs/evaluation.md");
        }
        s.put("methods", new ArrayList<>(plan.methods().keySet()));
        s.put("baselines", new ArrayList<>(plan.baselines().keySet()));
        s.put(
                "views",
                Map.of(
                        "count",
                        plan.exporter().views(),
                        "size",
                        plan.exporter().size(),
                        "benchmark_defaults",
                        plan.exporter().views() == BenchmarkViews.VIEWS
                                && plan.exporter().size() == BenchmarkViews.SIZE));
        s.put("questions", questions);
        s.put("seed", plan.seed());
        List<Object> criteria = new ArrayList<>();
        for (int c = 0; c < benchmark.criteria().size(); c++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("index", c);
            row.put("name", benchmark.criteria().get(c));
            row.put("key", Gpteval3d.CRITERION_KEYS.get(c));
            row.put("outcomes", outcomes.getOrDefault(c, List.of()).size());
            EloFit.Result r = ratings.get(c);
            if (r != null) {
                Map<String, Double> sc = new LinkedHashMap<>();
                List<Object> ranking = new ArrayList<>();
                for (int i = 0; i < r.methods().size(); i++) {
                    sc.put(r.methods().get(i), r.ratings()[i]);
                }
                sc.entrySet().stream()
                        .sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
                        .forEach(en -> ranking.add(List.of(en.getKey(), en.getValue())));
                row.put("scores", sc);
                row.put("ranking", ranking);
                row.put("solver", r.solver().name().toLowerCase(Locale.ROOT));
                row.put("iterations", r.iterations());
                row.put("grad_norm", r.gradNorm());
            }
            row.put("published_gpt4v", benchmark.publishedScores(c));
            criteria.add(row);
        }
        s.put("criteria", criteria);
        return s;
    }

    private static Map<String, MethodAssets> mergedNames(Plan plan) {
        Map<String, MethodAssets> all = new LinkedHashMap<>(plan.baselines());
        all.putAll(plan.methods());
        return all;
    }

    private static Path write(Path p, String text) throws IOException {
        Files.writeString(p, text + "\n", StandardCharsets.UTF_8);
        return p;
    }
}
