package dev.vlm3d.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.options.PromptList;
import dev.vlm3d.pipeline.cli.EvaluateCommand;
import dev.vlm3d.pipeline.cli.GenerateCommand;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PLUMBING RUN, end to end through the CLI: the tiny random models generate two presets (VLM3D preview and its
 * MVDream-only baseline) on three benchmark prompts, then judge them. Tiny random weights judge nothing; what is
 * checked is that every stage runs and writes what the benchmark's tools read.
 */
class EvaluateCommandTest {

    static final String CACHE = Path.of("target/vlm3d-cache").toAbsolutePath().toString();

    @Test
    void twoPresetsOnThreePromptsGiveComparisonsScoresAndTheChart(@TempDir Path dir) throws Exception {
        String[][] presets = {{"vlm3d-preview"}, {"mvdream-preview", "--no-reward"}};
        for (String[] preset : presets) {
            for (int id = 0; id < 3; id++) {
                Path out = dir.resolve("methods").resolve(preset[0]).resolve(Integer.toString(id));
                String[] base = {
                    "--prompt",
                    PromptList.gpteval3d().get(id),
                    "--out",
                    out.toString(),
                    "--steps",
                    "4",
                    "--seed",
                    Integer.toString(id),
                    "--cache-dir",
                    CACHE
                };
                String[] args = preset.length > 1 ? append(base, preset[1]) : base;
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                int code = GenerateCommand.run(
                        args,
                        new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
                assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
            }
        }
        Path out = dir.resolve("eval");
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int code = EvaluateCommand.run(
                new String[] {
                    "--methods",
                    dir.resolve("methods/vlm3d-preview").toString(),
                    dir.resolve("methods/mvdream-preview").toString(),
                    "--prompts",
                    "gpteval3d",
                    "--out",
                    out.toString(),
                    "--views",
                    "12",
                    "--size",
                    "32",
                    "--supersample",
                    "1",
                    "--cache-dir",
                    CACHE,
                    "--keep-composites"
                },
                new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8));
        String err = stderr.toString(StandardCharsets.UTF_8);
        assertThat(code).as(err).isZero();
        assertThat(err).contains("PLUMBING RUN");
        for (String f : new String[] {"comparisons.json", "questions.json", "scores.json", "ratings.png"}) {
            assertThat(out.resolve(f)).isNotEmptyFile();
            assertThat(stdout.toString(StandardCharsets.UTF_8))
                    .contains(out.resolve(f).toString());
        }
        // the GLBs were rendered into the benchmark's layout
        assertThat(BenchmarkViews.countViews(out.resolve("views/vlm3d-preview/2/0")))
                .isEqualTo(12);

        // one pair, three common prompts: the first three slots (n4_full, all six criteria) are the questions
        JsonObject questions = JsonParser.parseString(Files.readString(out.resolve("questions.json")))
                .getAsJsonObject();
        assertThat(questions.size()).isEqualTo(3);
        JsonObject cmp = JsonParser.parseString(Files.readString(out.resolve("comparisons.json")))
                .getAsJsonObject();
        assertThat(cmp.keySet()).containsExactly("0", "1", "2", "3", "4", "5");
        for (String c : cmp.keySet()) {
            JsonArray rows = cmp.getAsJsonArray(c);
            assertThat(rows).hasSize(3);
            for (JsonElement e : rows) {
                JsonObject r = e.getAsJsonObject();
                assertThat(r.get("gpt_prompt").getAsString()).isEqualTo("n4_full.txt");
                double sum = 0;
                for (JsonElement p : r.getAsJsonArray("probabilities")) {
                    sum += p.getAsDouble();
                }
                assertThat(sum).isCloseTo(1.0, within(1e-9));
                int choice = r.get("choice").getAsInt();
                assertThat(r.get("result").getAsInt()).isEqualTo(choice == 1 ? -1 : choice == 2 ? 1 : 0);
                assertThat(r.get("m1").getAsString()).isNotEqualTo(r.get("m2").getAsString());
            }
        }
        JsonObject scores = JsonParser.parseString(Files.readString(out.resolve("scores.json")))
                .getAsJsonObject();
        assertThat(scores.get("plumbing").getAsBoolean()).isTrue();
        assertThat(scores.get("note").getAsString()).contains("judge nothing");
        assertThat(scores.get("anchor").getAsString()).isEqualTo("vlm3d-preview");
        JsonObject align = scores.getAsJsonArray("criteria").get(0).getAsJsonObject();
        assertThat(align.get("outcomes").getAsInt()).isEqualTo(3);
        assertThat(align.getAsJsonObject("scores").get("vlm3d-preview").getAsDouble())
                .isEqualTo(1000.0);
        assertThat(align.getAsJsonObject("scores").has("mvdream-preview")).isTrue();
        assertThat(align.getAsJsonObject("published_gpt4v").get("mvdream").getAsDouble())
                .isCloseTo(1270.5, within(0.1));

        BufferedImage chart = ImageIO.read(out.resolve("ratings.png").toFile());
        assertThat(chart.getWidth()).isGreaterThan(1000);
        // the composite: 2×2 RGB views above 2×2 normal views per method, two methods side by side
        BufferedImage composite = ImageIO.read(out.resolve("questions/0.png").toFile());
        assertThat(composite.getWidth()).isEqualTo(2 * 2 * 32);
        assertThat(composite.getHeight()).isEqualTo(2 * 2 * 32);
    }

    @Test
    void badUsageIsExplained() {
        assertThat(run("--prompts", "gpteval3d", "--out", "x")).isEqualTo(2);
        assertThat(run("--methods", "--prompts", "gpteval3d", "--out", "x")).isEqualTo(2);
        assertThat(run("--methods", "a", "--out", "x")).isEqualTo(2);
        assertThat(run("--methods", "a", "--prompts", "gpteval3d", "--out", "x", "--mode", "league"))
                .isEqualTo(2);
        assertThat(run("--methods", "/nonexistent-method", "--prompts", "gpteval3d", "--out", "x"))
                .isEqualTo(1);
    }

    private static int run(String... args) {
        return EvaluateCommand.run(
                args, new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()));
    }

    private static String[] append(String[] a, String b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + 1);
        out[a.length] = b;
        return out;
    }
}
