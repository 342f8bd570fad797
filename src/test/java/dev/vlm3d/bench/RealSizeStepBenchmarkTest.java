package dev.vlm3d.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real-size benchmark's code path at a reduced size on the CPU: the same configs narrowed
 * ({@link RealSizeModels.Size#REDUCED}), weights generated through the tensor-source override, both camera phases
 * through {@code Vlm3dRun}, and the JSON report the GPU run (tools/gpu/run.sh) brings back.
 */
class RealSizeStepBenchmarkTest {

    @Test
    void reducedSizeRunsBothPhasesOnTheCpuAndReportsEveryFigure(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("realsize.json");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        RealSizeStepBenchmark.Options options = RealSizeStepBenchmark.Options.parse(new String[] {
            "--size",
            "reduced",
            "--device",
            "cpu",
            "--modes",
            "FP32",
            "--warmup",
            "0",
            "--steps",
            "1",
            "--json",
            json.toString()
        });
        RealSizeStepBenchmark.run(options, new PrintStream(log, true, StandardCharsets.UTF_8));

        String printed = log.toString(StandardCharsets.UTF_8);
        JsonObject report = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertThat(report.get("memory_source").getAsString()).isEqualTo("process-peak-rss");
        JsonObject params = report.getAsJsonObject("parameters");
        assertThat(params.keySet()).containsExactly("qwen25vl", "unet", "vae_encoder", "text_encoder");
        JsonObject mode = report.getAsJsonArray("modes").get(0).getAsJsonObject();
        assertThat(mode.has("error")).as(printed).isFalse();
        assertThat(mode.get("mode").getAsString()).isEqualTo("FP32");
        var phases = mode.getAsJsonArray("phases");
        assertThat(phases).hasSize(2);
        for (int i = 0; i < 2; i++) {
            JsonObject p = phases.get(i).getAsJsonObject();
            assertThat(p.get("phase").getAsString()).isEqualTo(i == 0 ? "A" : "B");
            // the paper's view counts per phase, the reduced renders' sizes
            assertThat(p.get("views").getAsInt()).isEqualTo(i == 0 ? 8 : 4);
            assertThat(p.get("resolution").getAsInt()).isEqualTo(i == 0 ? 16 : 32);
            JsonObject s = p.getAsJsonObject("seconds_per_step");
            double parts = 0;
            for (String k : new String[] {"render", "guidance", "reward", "backward", "optimizer"}) {
                assertThat(s.get(k).getAsDouble()).as(k).isPositive();
                parts += s.get(k).getAsDouble();
            }
            assertThat(parts).isLessThanOrEqualTo(s.get("total").getAsDouble() * 1.0001);
            assertThat(p.get("peak_bytes").getAsLong())
                    .isGreaterThan(
                            p.getAsJsonObject("memory").get("peak_rss_bytes").getAsLong() / 2);
            assertThat(Double.isFinite(p.get("last_reward").getAsDouble())).isTrue();
            assertThat(p.get("mean_samples_with_gradient").getAsDouble()).isPositive();
        }
        double a = phases.get(0)
                .getAsJsonObject()
                .getAsJsonObject("seconds_per_step")
                .get("total")
                .getAsDouble();
        double b = phases.get(1)
                .getAsJsonObject()
                .getAsJsonObject("seconds_per_step")
                .get("total")
                .getAsDouble();
        assertThat(mode.get("projected_minutes_paper_run").getAsDouble())
                .isCloseTo((a * 5000 + b * 5000) / 60, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(printed).contains("phase A (8 × 16²", "phase B (4 × 32²", "projected");
    }

    @Test
    void aModeThatDoesNotFitIsReportedAsSkipped(@TempDir Path dir) throws Exception {
        // the real 7B in FP32 needs ~36 GiB: more than this CPU machine has free, so it is skipped, not attempted
        Path json = dir.resolve("skip.json");
        RealSizeStepBenchmark.Options options = RealSizeStepBenchmark.Options.parse(new String[] {
            "--size", "real", "--device", "cpu", "--modes", "FP32", "--steps", "1", "--json", json.toString()
        });
        long free = new DeviceMemory(ai.djl.Device.cpu()).freeBytes();
        org.junit.jupiter.api.Assumptions.assumeTrue(free < 36L << 30, "this machine has room for the real size");
        RealSizeStepBenchmark.run(options, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        JsonObject mode = JsonParser.parseString(Files.readString(json))
                .getAsJsonObject()
                .getAsJsonArray("modes")
                .get(0)
                .getAsJsonObject();
        assertThat(mode.get("skipped").getAsString()).contains("GiB free");
        assertThat(mode.has("phases")).isFalse();
    }

    @Test
    void badArgumentsAreRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> RealSizeStepBenchmark.Options.parse(new String[] {"--modes", "FP8"}))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> RealSizeStepBenchmark.Options.parse(new String[] {"--phases", "C"}))
                .hasMessageContaining("phases");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> RealSizeStepBenchmark.Options.parse(new String[] {"--steps"}))
                .hasMessageContaining("missing value");
    }
}
