package dev.vlm3d.engine.export;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.vlm3d.engine.StepReport;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * Loss, reward and per-step peak memory curves as JSON, CSV and a PNG line plot (Java2D). NaN marks steps where a
 * term was off (or memory was not measured).
 */
public final class CurveWriter {

    private static final String[] COLUMNS = {
        "step",
        "total_loss",
        "guidance_loss",
        "reward",
        "orientation_loss",
        "lambda_vlm",
        "lambda_orient",
        "resolution",
        "batch_size",
        "step_ms",
        "peak_memory_mb",
        "samples"
    };
    /** Columns written as integers. */
    private static final java.util.Set<String> INTEGERS =
            java.util.Set.of("step", "resolution", "batch_size", "samples");

    private CurveWriter() {}

    private static double[] row(StepReport r) {
        return new double[] {
            r.step(),
            r.totalLoss(),
            r.guidanceLoss(),
            r.reward(),
            r.orientationLoss(),
            r.lambdaVlm(),
            r.lambdaOrient(),
            r.resolution(),
            r.batchSize(),
            r.timing().totalMs(),
            memoryMb(r),
            r.samples()
        };
    }

    private static double memoryMb(StepReport r) {
        return r.memory().bytes() < 0 ? Double.NaN : r.memory().megabytes();
    }

    public static void writeJson(List<StepReport> history, OutputStream stream) throws IOException {
        JsonArray steps = new JsonArray();
        for (StepReport r : history) {
            JsonObject o = new JsonObject();
            double[] v = row(r);
            for (int c = 0; c < COLUMNS.length; c++) {
                if (!Double.isNaN(v[c])) {
                    o.addProperty(COLUMNS[c], v[c]);
                }
            }
            r.stats().forEach((k, value) -> {
                if (!Double.isNaN(value)) {
                    o.addProperty(k, value);
                }
            });
            steps.add(o);
        }
        JsonObject root = new JsonObject();
        root.add("steps", steps);
        Writer w = new OutputStreamWriter(stream, StandardCharsets.UTF_8);
        w.write(root.toString());
        w.flush();
    }

    public static void writeCsv(List<StepReport> history, OutputStream stream) throws IOException {
        Writer w = new OutputStreamWriter(stream, StandardCharsets.UTF_8);
        w.write(String.join(",", COLUMNS));
        w.write('\n');
        for (StepReport r : history) {
            double[] v = row(r);
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < v.length; c++) {
                if (c > 0) {
                    line.append(',');
                }
                if (!Double.isNaN(v[c])) {
                    line.append(
                            INTEGERS.contains(COLUMNS[c])
                                    ? Long.toString((long) v[c])
                                    : String.format(Locale.ROOT, "%.6g", v[c]));
                }
            }
            w.write(line.append('\n').toString());
        }
        w.flush();
    }

    /**
     * Three stacked panels: losses (total, guidance, λ-weighted orientation), the reward, and each step's peak memory
     * (resident set on the CPU, device memory in use on a GPU).
     */
    public static void writePlot(List<StepReport> history, OutputStream stream) throws IOException {
        int width = 900;
        int panel = 300;
        BufferedImage image = new BufferedImage(width, panel * 3, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, panel * 3);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        drawPanel(
                g,
                history,
                0,
                width,
                panel,
                "loss",
                List.of(StepReport::totalLoss, StepReport::guidanceLoss, r -> r.orientationLoss() * r.lambdaOrient()),
                List.of("total", "guidance", "λ_orient·orient"),
                List.of(Color.BLACK, new Color(0x1f77b4), new Color(0x2ca02c)),
                false);
        drawPanel(
                g,
                history,
                panel,
                width,
                panel,
                "reward",
                List.of(StepReport::reward),
                List.of("reward"),
                List.of(new Color(0xd62728)),
                false);
        String source = history.isEmpty()
                ? ""
                : switch (history.get(0).memory().source()) {
                    case DEVICE_USED -> " (device memory in use)";
                    case PEAK_RSS -> " (peak resident set)";
                    case RSS -> " (resident set after the step)";
                    case NONE -> "";
                };
        drawPanel(
                g,
                history,
                2 * panel,
                width,
                panel,
                "peak memory per step, MB" + source,
                List.of(CurveWriter::memoryMb),
                List.of("peak"),
                List.of(new Color(0x9467bd)),
                true);
        g.dispose();
        ImageIO.write(image, "png", stream);
    }

    private static void drawPanel(
            Graphics2D g,
            List<StepReport> history,
            int top,
            int width,
            int height,
            String title,
            List<ToDoubleFunction<StepReport>> series,
            List<String> names,
            List<Color> colors,
            boolean fromZero) {
        int left = 70;
        int right = width - 20;
        int plotTop = top + 30;
        int plotBottom = top + height - 40;
        double minY = Double.MAX_VALUE;
        double maxY = -Double.MAX_VALUE;
        for (StepReport r : history) {
            for (ToDoubleFunction<StepReport> s : series) {
                double v = s.applyAsDouble(r);
                if (Double.isFinite(v)) {
                    minY = Math.min(minY, v);
                    maxY = Math.max(maxY, v);
                }
            }
        }
        if (fromZero && minY > 0) {
            minY = 0; // a memory axis from zero, so a flat peak looks flat
        }
        g.setColor(Color.BLACK);
        g.drawString(title, left, top + 18);
        g.drawRect(left, plotTop, right - left, plotBottom - plotTop);
        if (minY > maxY) {
            g.drawString("no data", left + 10, plotTop + 20);
            return;
        }
        if (maxY - minY < 1e-12) {
            maxY = minY + 1;
        }
        int firstStep = history.get(0).step();
        int lastStep = Math.max(firstStep + 1, history.get(history.size() - 1).step());
        g.drawString(String.format(Locale.ROOT, "%.4g", maxY), 5, plotTop + 10);
        g.drawString(String.format(Locale.ROOT, "%.4g", minY), 5, plotBottom);
        g.drawString(Integer.toString(firstStep), left, plotBottom + 15);
        g.drawString(Integer.toString(lastStep), right - 40, plotBottom + 15);
        g.setStroke(new BasicStroke(1.5f));
        for (int s = 0; s < series.size(); s++) {
            g.setColor(colors.get(s));
            g.drawString(names.get(s), left + 10 + s * 140, plotBottom + 30);
            int px = -1;
            int py = -1;
            for (StepReport r : history) {
                double v = series.get(s).applyAsDouble(r);
                if (!Double.isFinite(v)) {
                    px = -1;
                    continue;
                }
                int x = left
                        + (int) Math.round((double) (r.step() - firstStep) / (lastStep - firstStep) * (right - left));
                int y = plotBottom - (int) Math.round((v - minY) / (maxY - minY) * (plotBottom - plotTop));
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
        }
    }
}
