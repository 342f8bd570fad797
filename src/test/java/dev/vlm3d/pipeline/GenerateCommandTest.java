package dev.vlm3d.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.engine.GltfValidator;
import dev.vlm3d.pipeline.cli.GenerateCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI runs the same pipeline without web server or database and writes the service's artifacts. */
class GenerateCommandTest {

    private static final String CACHE =
            Path.of("target/vlm3d-cache").toAbsolutePath().toString();

    @Test
    void generatesTheServiceArtifactsIntoAFolder(@TempDir Path out) throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int code = GenerateCommand.run(
                new String[] {
                    "--prompt",
                    "a blue mug",
                    "--out",
                    out.toString(),
                    "--steps",
                    "6",
                    "--seed",
                    "3",
                    "--cache-dir",
                    CACHE,
                    "--threads",
                    "1",
                    "--lambda-vlm-start",
                    "50"
                },
                new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8));
        String err = stderr.toString(StandardCharsets.UTF_8);
        assertThat(code).as(err).isZero();

        for (String name : List.of(
                "model.glb",
                "model.obj",
                "render_rgb_000.png",
                "render_normal_000.png",
                "turntable.gif",
                "curves.json",
                "curves.csv",
                "curves.png",
                "run.json")) {
            assertThat(out.resolve(name)).isNotEmptyFile();
            assertThat(stdout.toString(StandardCharsets.UTF_8))
                    .contains(out.resolve(name).toString());
        }
        GltfValidator.validate(out.resolve("model.glb"));
        // progress: one line per step here (six steps, so every line is a 5% mark), with losses, reward and ETA
        assertThat(err)
                .contains("TINY RANDOM")
                .contains("6/6")
                .contains("sds ")
                .contains("reward ")
                .contains("ETA");
        JsonObject run = JsonParser.parseString(Files.readString(out.resolve("run.json")))
                .getAsJsonObject();
        assertThat(run.getAsJsonObject("models").get("mode").getAsString()).isEqualTo("tiny-random");
        assertThat(run.getAsJsonObject("options").get("lambda_vlm_start").getAsDouble())
                .isEqualTo(50.0);
        assertThat(run.get("steps").getAsInt()).isEqualTo(6);
        assertThat(Files.readAllLines(out.resolve("curves.csv"))).hasSize(1 + 6);
        assertThat(out.resolve("curves.csv")).content().startsWith("step,");
        try (var left = Files.list(out)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".export-"));
        }
    }

    @Test
    void exportScopeLimitsWhatIsWritten(@TempDir Path out) throws Exception {
        Path mesh = out.resolve("mesh");
        assertThat(run(
                        "--prompt",
                        "a blue mug",
                        "--out",
                        mesh.toString(),
                        "--steps",
                        "3",
                        "--cache-dir",
                        CACHE,
                        "--export",
                        "mesh",
                        "--iso-threshold",
                        "auto"))
                .isZero();
        assertThat(names(mesh))
                .containsExactlyInAnyOrder(
                        "model.glb", "model.obj", "curves.json", "curves.csv", "curves.png", "run.json");
        GltfValidator.validate(mesh.resolve("model.glb"));
        Path curves = out.resolve("curves");
        assertThat(run(
                        "--prompt",
                        "a blue mug",
                        "--out",
                        curves.toString(),
                        "--steps",
                        "2",
                        "--cache-dir",
                        CACHE,
                        "--export",
                        "curves"))
                .isZero();
        assertThat(names(curves)).containsExactlyInAnyOrder("curves.json", "curves.csv", "curves.png", "run.json");
        assertThat(Files.readAllLines(curves.resolve("curves.csv"))).hasSize(1 + 2);
        assertThat(run("--prompt", "x", "--out", out.toString(), "--export", "renders"))
                .isEqualTo(2);
        assertThat(run("--prompt", "x", "--out", out.toString(), "--iso-threshold", "-3"))
                .isEqualTo(2);
    }

    @Test
    void aDensityWithoutSurfaceFailsWithExitCode1AndWritesNothing(@TempDir Path out) throws Exception {
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int code = GenerateCommand.run(
                new String[] {
                    "--prompt",
                    "a blue mug",
                    "--out",
                    out.toString(),
                    "--steps",
                    "2",
                    "--cache-dir",
                    CACHE,
                    "--export",
                    "mesh",
                    "--iso-threshold",
                    "1000000000"
                },
                new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(stderr, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(1);
        assertThat(stderr.toString(StandardCharsets.UTF_8))
                .contains("no surface at the export threshold 1.0E9")
                .contains("no model.glb written");
        assertThat(names(out))
                .as("the export stops at the mesh, before any file")
                .isEmpty();
    }

    private static List<String> names(Path dir) throws java.io.IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }

    @Test
    void badUsageAndBadOptionsAreExplainedWithoutRunning(@TempDir Path out) {
        ByteArrayOutputStream help = new ByteArrayOutputStream();
        assertThat(GenerateCommand.run(
                        new String[] {"--help"},
                        new PrintStream(help, true, StandardCharsets.UTF_8),
                        new PrintStream(new ByteArrayOutputStream())))
                .isZero();
        assertThat(help.toString(StandardCharsets.UTF_8)).contains("generate --prompt");
        assertThat(run("--out", out.toString())).isEqualTo(2);
        assertThat(run("--prompt", "x", "--out", out.toString(), "--preset", "ultra"))
                .isEqualTo(2);
        assertThat(run("--prompt", "x", "--out", out.toString(), "--vlm-question", "c"))
                .isEqualTo(2);
        assertThat(run("--prompt", "x", "--out", out.toString(), "--guidance-scale", "7"))
                .isEqualTo(2);
        // one folder without the other is a configuration error, not a silent fallback to the tiny models
        assertThat(run("--prompt", "x", "--out", out.toString(), "--vlm", out.toString()))
                .isEqualTo(1);
        // a folder of the wrong kind is named with what is wrong
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int code = GenerateCommand.run(
                new String[] {
                    "--prompt", "x", "--out", out.toString(), "--vlm", out.toString(), "--diffusion", out.toString()
                },
                new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(stderr, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(1);
        assertThat(stderr.toString(StandardCharsets.UTF_8))
                .contains("vlm3d.models.vlm-dir")
                .contains("config.json");
    }

    private static int run(String... args) {
        return GenerateCommand.run(
                args, new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()));
    }
}
