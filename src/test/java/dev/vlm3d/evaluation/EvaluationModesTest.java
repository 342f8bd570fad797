package dev.vlm3d.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.engine.export.GlbWriter;
import dev.vlm3d.options.PromptList;
import java.awt.image.BufferedImage;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run's two modes with a scripted judge (a test double: "the left object is better" on every criterion), so the
 * schedule, the composites' sides and the fits can be checked exactly, without a model.
 */
class EvaluationModesTest {

    /** Prefers the left side always; records the composite sizes it was shown. */
    static final class LeftJudge implements Judge {
        final List<int[]> sizes = new ArrayList<>();

        @Override
        public List<Answer> judge(BufferedImage composite, String userText, int criteria) {
            sizes.add(new int[] {composite.getWidth(), composite.getHeight()});
            List<Answer> out = new ArrayList<>();
            for (int c = 0; c < criteria; c++) {
                out.add(new Answer(1, new double[] {1, 0, 0}, 1));
            }
            return out;
        }

        @Override
        public String describe() {
            return "scripted: left always";
        }
    }

    private static Map<String, MethodAssets> folderOfMethods(Path root, List<String> names, int prompts)
            throws Exception {
        Files.createDirectories(root);
        Path glb = root.resolve("cube.glb");
        try (OutputStream o = Files.newOutputStream(glb)) {
            GlbWriter.write(BenchmarkViewsTest.faceColouredCube(0.4f), o);
        }
        ViewExporter small = new ViewExporter(12, 16, 1, 0);
        Map<String, MethodAssets> out = new LinkedHashMap<>();
        for (String n : names) {
            for (int id = 0; id < prompts; id++) {
                small.exportGlb(glb, BenchmarkViews.assetFolder(root.resolve(n), id));
            }
            out.put(n, MethodAssets.scan(root.resolve(n), 110));
        }
        return out;
    }

    @Test
    void newMethodModeMeetsOnlyTheBaselinesAndKeepsTheTableFrozen(@TempDir Path dir) throws Exception {
        Map<String, MethodAssets> baselines =
                folderOfMethods(dir.resolve("baselines"), List.of("dreamfusion", "mvdream"), 3);
        Map<String, MethodAssets> ours = folderOfMethods(dir.resolve("ours"), List.of("vlm3d"), 3);
        Evaluation.Plan plan = new Evaluation.Plan(
                PromptList.gpteval3d(),
                ours,
                baselines,
                Evaluation.Mode.NEW_METHOD,
                null,
                5,
                0,
                new ViewExporter(12, 16, 1, 0),
                false,
                false);
        LeftJudge judge = new LeftJudge();
        Evaluation.Outcome out = new Evaluation(Gpteval3d.load()).run(plan, judge, dir.resolve("out"), (s, d, t) -> {});
        // two opponents × three prompts: six questions, each of ours against a baseline, never baseline vs baseline
        assertThat(out.questions()).isEqualTo(6);
        JsonObject q = JsonParser.parseString(Files.readString(dir.resolve("out/questions.json")))
                .getAsJsonObject();
        q.entrySet().forEach(e -> {
            JsonObject o = e.getValue().getAsJsonObject();
            assertThat(List.of(o.get("m1").getAsString(), o.get("m2").getAsString()))
                    .contains("vlm3d");
        });
        // the first six slots are n4_full: 2×2 views of 16², RGB above normals, two methods
        assertThat(judge.sizes).allSatisfy(s -> assertThat(s).containsExactly(64, 64));
        EloFit.Result align = out.ratings().get(0);
        Map<String, Double> table = Gpteval3d.load().publishedScores(0);
        table.forEach((m, v) -> assertThat(align.rating(m)).isEqualTo(v));
        assertThat(align.methods()).hasSize(14);
        // "left always" makes wins depend on the draws of sides only; the fitted rating explains exactly those
        int oursLeft = 0;
        for (var e : q.entrySet()) {
            oursLeft += e.getValue().getAsJsonObject().get("m1").getAsString().equals("vlm3d") ? 1 : 0;
        }
        assertThat(oursLeft).isBetween(1, 5); // both sides were drawn in this seed, so the optimum is finite
        assertThat(align.solver()).isEqualTo(EloFit.Solver.NEWTON);
        JsonObject scores = JsonParser.parseString(Files.readString(dir.resolve("out/scores.json")))
                .getAsJsonObject();
        assertThat(scores.get("mode").getAsString()).isEqualTo("new-method");
        assertThat(scores.get("plumbing").getAsBoolean()).isFalse();
        assertThat(scores.has("anchor")).isFalse();
    }

    @Test
    void aTournamentIncludingDreamfusionAnchorsIt(@TempDir Path dir) throws Exception {
        Map<String, MethodAssets> baselines = folderOfMethods(dir.resolve("baselines"), List.of("dreamfusion"), 2);
        Map<String, MethodAssets> ours = folderOfMethods(dir.resolve("ours"), List.of("a", "b"), 2);
        Evaluation.Plan plan = new Evaluation.Plan(
                PromptList.gpteval3d(),
                ours,
                baselines,
                Evaluation.Mode.TOURNAMENT,
                null,
                1,
                0,
                new ViewExporter(12, 16, 1, 0),
                false,
                false);
        Evaluation.Outcome out =
                new Evaluation(Gpteval3d.load()).run(plan, new LeftJudge(), dir.resolve("out"), (s, d, t) -> {});
        // three pairs × two prompts
        assertThat(out.questions()).isEqualTo(6);
        assertThat(out.ratings().get(5).rating("dreamfusion")).isEqualTo(1000.0);
        assertThat(out.ratings().get(5).methods()).containsExactlyInAnyOrder("dreamfusion", "a", "b");
        // a tournament without two methods, a new-method run without baselines, an unknown anchor: refused
        Evaluation e = new Evaluation(Gpteval3d.load());
        assertThatThrownBy(() -> e.run(
                        new Evaluation.Plan(
                                PromptList.gpteval3d(),
                                Map.of("a", ours.get("a")),
                                Map.of(),
                                Evaluation.Mode.TOURNAMENT,
                                null,
                                1,
                                0,
                                plan.exporter(),
                                false,
                                false),
                        new LeftJudge(),
                        dir.resolve("x"),
                        (s, d, t) -> {}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> e.run(
                        new Evaluation.Plan(
                                PromptList.gpteval3d(),
                                ours,
                                Map.of(),
                                Evaluation.Mode.NEW_METHOD,
                                null,
                                1,
                                0,
                                plan.exporter(),
                                false,
                                false),
                        new LeftJudge(),
                        dir.resolve("y"),
                        (s, d, t) -> {}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> e.run(
                        new Evaluation.Plan(
                                PromptList.gpteval3d(),
                                ours,
                                baselines,
                                Evaluation.Mode.TOURNAMENT,
                                "zzz",
                                1,
                                0,
                                plan.exporter(),
                                false,
                                false),
                        new LeftJudge(),
                        dir.resolve("z"),
                        (s, d, t) -> {}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
