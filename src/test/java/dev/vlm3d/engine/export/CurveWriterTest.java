package dev.vlm3d.engine.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.engine.StepMemory;
import dev.vlm3d.engine.StepReport;
import dev.vlm3d.engine.StepTiming;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Every step's peak memory and sample count reach the CSV, the JSON and a third panel of the plot. */
class CurveWriterTest {

    private static StepReport step(int s, long bytes, StepMemory.Source source) {
        return new StepReport(
                s,
                3,
                10.0 - s,
                9.0 - s,
                -1.0 + s,
                0.1,
                300,
                10,
                64,
                4,
                1000L * (s + 1),
                new StepTiming(1, 2, 3, 4, 5, 15 + s),
                Map.of(),
                new StepMemory(bytes, source),
                false,
                0);
    }

    @Test
    void memoryAndSamplesAreCurvesToo() throws Exception {
        List<StepReport> history = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            history.add(step(s, (1500L + 100 * s) << 20, StepMemory.Source.PEAK_RSS));
        }
        ByteArrayOutputStream csv = new ByteArrayOutputStream();
        CurveWriter.writeCsv(history, csv);
        String[] lines = csv.toString(StandardCharsets.UTF_8).split("\n");
        List<String> header = List.of(lines[0].split(","));
        int memory = header.indexOf("peak_memory_mb");
        int samples = header.indexOf("samples");
        assertThat(memory).isPositive();
        assertThat(samples).isPositive();
        for (int s = 0; s < 3; s++) {
            String[] cells = lines[1 + s].split(",", -1);
            assertThat(Double.parseDouble(cells[memory])).isEqualTo(1500.0 + 100 * s);
            assertThat(cells[samples]).isEqualTo(Long.toString(1000L * (s + 1)));
        }

        ByteArrayOutputStream json = new ByteArrayOutputStream();
        CurveWriter.writeJson(history, json);
        JsonObject last = JsonParser.parseString(json.toString(StandardCharsets.UTF_8))
                .getAsJsonObject()
                .getAsJsonArray("steps")
                .get(2)
                .getAsJsonObject();
        assertThat(last.get("peak_memory_mb").getAsDouble()).isEqualTo(1700.0);
        assertThat(last.get("samples").getAsLong()).isEqualTo(3000L);

        ByteArrayOutputStream png = new ByteArrayOutputStream();
        CurveWriter.writePlot(history, png);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png.toByteArray()));
        assertThat(image.getHeight()).isEqualTo(900);
        // the memory panel (bottom third) draws its line in its own colour
        boolean memoryLine = false;
        for (int y = 600; y < 900 && !memoryLine; y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) == 0x9467bd) {
                    memoryLine = true;
                    break;
                }
            }
        }
        assertThat(memoryLine).as("memory curve drawn in the third panel").isTrue();
    }

    @Test
    void anUnmeasuredStepLeavesTheMemoryCellEmpty() throws Exception {
        ByteArrayOutputStream csv = new ByteArrayOutputStream();
        CurveWriter.writeCsv(List.of(step(0, -1, StepMemory.Source.NONE)), csv);
        String[] lines = csv.toString(StandardCharsets.UTF_8).split("\n");
        int memory = List.of(lines[0].split(",")).indexOf("peak_memory_mb");
        assertThat(lines[1].split(",", -1)[memory]).isEmpty();
    }
}
