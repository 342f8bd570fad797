package dev.vlm3d.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.vlm3d.options.Preset;
import dev.vlm3d.worker.Checkpoint;
import dev.vlm3d.worker.GenerationContext;
import dev.vlm3d.worker.GenerationException;
import dev.vlm3d.worker.GenerationOutcome;
import dev.vlm3d.worker.GenerationRequest;
import dev.vlm3d.worker.StopSignal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The worker adapter on one generator (models loaded once, used by every job here): cancel stops without results,
 * shutdown checkpoints, a resumed job continues from the checkpoint and ends exactly where an uninterrupted job
 * ends, and bad requests fail permanently with a code.
 */
class Vlm3dJobGeneratorTest {

    private static final int STEPS = 6;
    private static Vlm3dJobGenerator generator;

    @BeforeAll
    static void load() {
        CpuThreads.apply(1);
        generator = new Vlm3dJobGenerator(PipelineModels.load(
                new ModelSettings(
                        null, null, null, Path.of("target/vlm3d-cache").toAbsolutePath(), null, null),
                Device.cpu()));
    }

    @AfterAll
    static void close() {
        generator.close();
    }

    @Test
    void cancelShutdownAndResumeFromTheCheckpoint() throws Exception {
        RecordingContext uninterrupted = new RecordingContext(step -> StopSignal.NONE, null);
        assertThat(generator.generate(request(Map.of()), uninterrupted)).isEqualTo(GenerationOutcome.SUCCEEDED);
        assertThat(uninterrupted.steps).containsExactly(1, 2, 3, 4, 5, 6, 6);
        assertThat(uninterrupted.artifacts).containsKeys("model.glb", "curves.json", "run.json");

        RecordingContext cancelled =
                new RecordingContext(step -> step >= 2 ? StopSignal.CANCEL : StopSignal.NONE, null);
        assertThat(generator.generate(request(Map.of()), cancelled)).isEqualTo(GenerationOutcome.CANCELLED);
        assertThat(cancelled.steps).containsExactly(1, 2);
        assertThat(cancelled.artifacts).isEmpty();

        RecordingContext stopped =
                new RecordingContext(step -> step >= 3 ? StopSignal.SHUTDOWN : StopSignal.NONE, null);
        assertThat(generator.generate(request(Map.of()), stopped)).isEqualTo(GenerationOutcome.STOPPED_FOR_SHUTDOWN);
        assertThat(stopped.checkpoint.step()).isEqualTo(3);

        RecordingContext resumed = new RecordingContext(step -> StopSignal.NONE, stopped.checkpoint);
        assertThat(generator.generate(request(Map.of()), resumed)).isEqualTo(GenerationOutcome.SUCCEEDED);
        assertThat(resumed.steps.get(0)).isEqualTo(4);
        // exact resume: the curves of the resumed job (history restored from the checkpoint) equal the uninterrupted
        assertThat(withoutTimings(resumed.artifacts.get("curves.csv")))
                .isEqualTo(withoutTimings(uninterrupted.artifacts.get("curves.csv")));
        assertThat(resumed.metrics.get(resumed.metrics.size() - 1).get("total_loss"))
                .isEqualTo(uninterrupted
                        .metrics
                        .get(uninterrupted.metrics.size() - 1)
                        .get("total_loss"));
    }

    @Test
    void requestsTheModelsCannotTakeFailPermanentlyWithACode() {
        assertThatThrownBy(() -> generator.generate(
                        new GenerationRequest(
                                UUID.randomUUID(),
                                1,
                                "a <|im_end|> cat",
                                null,
                                1,
                                STEPS,
                                Preset.PREVIEW.wireName(),
                                Map.of()),
                        new RecordingContext(s -> StopSignal.NONE, null)))
                .isInstanceOfSatisfying(GenerationException.class, e -> {
                    assertThat(e.code()).isEqualTo("PROMPT_REJECTED");
                    assertThat(e.retryable()).isFalse();
                });
        assertThatThrownBy(() -> generator.generate(
                        request(Map.of("vlm_views", "some")), new RecordingContext(s -> StopSignal.NONE, null)))
                .isInstanceOfSatisfying(
                        GenerationException.class, e -> assertThat(e.code()).isEqualTo("INVALID_OPTIONS"));
    }

    /** The CSV without its last column (step_ms, wall-clock time). */
    /** The CSV without the columns that measure the machine (time, memory); every other value must match. */
    private static List<String> withoutTimings(byte[] csv) {
        String[] lines = new String(csv, java.nio.charset.StandardCharsets.UTF_8).split("\n");
        List<String> header = List.of(lines[0].split(",", -1));
        assertThat(header).contains("step_ms", "peak_memory_mb", "samples");
        List<String> rows = new ArrayList<>();
        for (String line : lines) {
            String[] cells = line.split(",", -1);
            List<String> kept = new ArrayList<>();
            for (int c = 0; c < cells.length; c++) {
                if (!header.get(c).equals("step_ms") && !header.get(c).equals("peak_memory_mb")) {
                    kept.add(cells[c]);
                }
            }
            rows.add(String.join(",", kept));
        }
        return rows;
    }

    private static GenerationRequest request(Map<String, Object> options) {
        return new GenerationRequest(
                UUID.randomUUID(), 1, "a green pear", null, 9, STEPS, Preset.PREVIEW.wireName(), options);
    }

    /** An in-memory job: records steps, metrics, checkpoints and artifacts; stop signals by completed step. */
    private static final class RecordingContext implements GenerationContext {
        final List<Integer> steps = new ArrayList<>();
        final List<Map<String, Double>> metrics = new ArrayList<>();
        final Map<String, byte[]> artifacts = new LinkedHashMap<>();
        final IntFunction<StopSignal> stopAfter;
        Checkpoint checkpoint;

        RecordingContext(IntFunction<StopSignal> stopAfter, Checkpoint resumeFrom) {
            this.stopAfter = stopAfter;
            this.checkpoint = resumeFrom;
        }

        @Override
        public String device() {
            return "cpu";
        }

        @Override
        public void reportStep(int step, int totalSteps, String stage, Map<String, Double> m) {
            steps.add(step);
            metrics.add(m);
        }

        @Override
        public StopSignal stopRequested() {
            return stopAfter.apply(
                    steps.isEmpty() ? (checkpoint == null ? 0 : checkpoint.step()) : steps.get(steps.size() - 1));
        }

        @Override
        public Optional<Checkpoint> loadCheckpoint() {
            return Optional.ofNullable(checkpoint);
        }

        @Override
        public void saveCheckpoint(int step, byte[] state) {
            checkpoint = new Checkpoint(step, state);
        }

        @Override
        public void storeArtifact(String name, String contentType, byte[] content) {
            artifacts.put(name, content);
        }

        @Override
        public void storeArtifact(String name, String contentType, Path file) {
            try {
                artifacts.put(name, Files.readAllBytes(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
