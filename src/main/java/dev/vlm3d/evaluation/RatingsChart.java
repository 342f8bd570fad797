package dev.vlm3d.evaluation;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * ratings.png: one panel per criterion, horizontal bars of the Elo ratings, the published GPT-4V rows (grey) beside
 * ours (orange) and re-judged baselines (blue), with the numbers. Java2D, headless.
 */
public final class RatingsChart {

    private static final Color PUBLISHED = new Color(0xB0B0B0);
    private static final Color OURS = new Color(0xE8743B);
    private static final Color REJUDGED = new Color(0x4A7EBB);

    private record Bar(String label, double value, Color colour) {}

    private RatingsChart() {}

    public static void write(
            Gpteval3d benchmark,
            Map<Integer, EloFit.Result> ratings,
            Collection<String> ours,
            boolean plumbing,
            Evaluation.Mode mode,
            Path file)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<List<Bar>> panels = new ArrayList<>();
        int maxRows = 1;
        for (int c = 0; c < benchmark.criteria().size(); c++) {
            List<Bar> bars = new ArrayList<>();
            Map<String, Double> published = benchmark.publishedScores(c);
            published.forEach((m, v) -> bars.add(new Bar(m + " (GPT-4V)", v, PUBLISHED)));
            EloFit.Result r = ratings.get(c);
            if (r != null) {
                for (int i = 0; i < r.methods().size(); i++) {
                    String m = r.methods().get(i);
                    boolean isOurs = ours.contains(m);
                    if (!isOurs && mode == Evaluation.Mode.NEW_METHOD && published.containsKey(m)) {
                        continue; // frozen: the grey bar already shows it
                    }
                    bars.add(new Bar(m + (isOurs ? "" : " (local)"), r.ratings()[i], isOurs ? OURS : REJUDGED));
                }
            }
            bars.sort((a, b) -> Double.compare(b.value(), a.value()));
            panels.add(bars);
            maxRows = Math.max(maxRows, bars.size());
        }
        int panelW = 620;
        int rowH = 18;
        int panelH = 70 + rowH * maxRows;
        int cols = 3;
        int rows = (panels.size() + cols - 1) / cols;
        int top = 70;
        BufferedImage img = new BufferedImage(cols * panelW, top + rows * panelH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        String title = "GPTEval3D Elo per criterion, local Qwen2.5-VL judge (" + mode.wireName() + ")"
                + (plumbing ? "  -  PLUMBING RUN: tiny random weights judge nothing" : "");
        g.drawString(title, 16, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString(
                "grey: published GPT-4V ratings (config.json); orange: ours; blue: baselines re-judged locally. "
                        + "Local-judge and GPT-4V numbers are on different scales (docs/evaluation.md).",
                16,
                50);
        for (int c = 0; c < panels.size(); c++) {
            panel(
                    g,
                    benchmark.criteria().get(c),
                    panels.get(c),
                    (c % cols) * panelW,
                    top + (c / cols) * panelH,
                    panelW,
                    rowH);
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static void panel(Graphics2D g, String title, List<Bar> bars, int x0, int y0, int w, int rowH) {
        double lo = 500;
        double hi = 1500;
        for (Bar b : bars) {
            if (Double.isFinite(b.value())) {
                lo = Math.min(lo, Math.floor((b.value() - 50) / 100) * 100);
                hi = Math.max(hi, Math.ceil((b.value() + 50) / 100) * 100);
            }
        }
        int labelW = 190;
        int plotX = x0 + labelW;
        int plotW = w - labelW - 70;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, x0 + 10, y0 + 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        int y = y0 + 40;
        int barTop = y;
        for (Bar b : bars) {
            g.setColor(Color.DARK_GRAY);
            String label = b.label().length() > 30 ? b.label().substring(0, 29) + "…" : b.label();
            g.drawString(label, x0 + 10, y + rowH - 5);
            double v = Double.isFinite(b.value()) ? b.value() : lo;
            int len = (int) Math.round((v - lo) / (hi - lo) * plotW);
            g.setColor(b.colour());
            g.fillRect(plotX, y + 2, Math.max(1, len), rowH - 4);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.1f", b.value()), plotX + len + 4, y + rowH - 5);
            y += rowH;
        }
        // axis with the 1000 anchor marked
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f));
        g.drawLine(plotX, y + 2, plotX + plotW, y + 2);
        for (double t = lo; t <= hi + 1e-9; t += 250) {
            int tx = plotX + (int) Math.round((t - lo) / (hi - lo) * plotW);
            g.drawLine(tx, y + 2, tx, y + 6);
            g.drawString(String.format(Locale.ROOT, "%.0f", t), tx - 12, y + 18);
        }
        int ax = plotX + (int) Math.round((1000 - lo) / (hi - lo) * plotW);
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {3f, 3f}, 0f));
        g.drawLine(ax, barTop, ax, y + 2);
    }
}
