package dev.vlm3d.pipeline.cli;

import dev.vlm3d.engine.StepMemory;
import dev.vlm3d.engine.StepReport;
import java.io.PrintStream;
import java.util.Locale;

/**
 * One line on stderr: step, losses, reward, λ_VLM, timestep, time per step and ETA. Redrawn in place on a terminal;
 * without one (a pipe, a log file) a line every 5% of the run.
 */
final class ProgressBar {

    private static final int WIDTH = 24;

    private final PrintStream err;
    private final int total;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private int firstStep = -1;
    private int lastPrintedPercent = -1;

    ProgressBar(PrintStream err, int total) {
        this.err = err;
        this.total = total;
        this.terminal = System.console() != null && err == System.err;
    }

    void update(StepReport r) {
        if (firstStep < 0) {
            firstStep = r.step();
        }
        int done = r.step() + 1;
        double elapsed = (System.nanoTime() - start) / 1e9;
        double perStep = elapsed / (done - firstStep);
        double eta = perStep * (total - done);
        int filled = (int) ((long) WIDTH * done / total);
        Double t = r.stats().get("guidance.timestep");
        String line = String.format(
                Locale.ROOT,
                "[%s%s] %d/%d  loss %.4g  sds %.4g  reward %s  λ_vlm %.3g  t %s  %.2f s/step  %s  ETA %s%s",
                "#".repeat(filled),
                ".".repeat(WIDTH - filled),
                done,
                total,
                r.totalLoss(),
                r.guidanceLoss(),
                Double.isNaN(r.reward()) ? "off" : String.format(Locale.ROOT, "%.4f", r.reward()),
                r.lambdaVlm(),
                t == null ? "-" : Integer.toString(t.intValue()),
                perStep,
                memory(r),
                clock(eta),
                r.skippedSteps() > 0 ? "  skipped " + r.skippedSteps() : "");
        if (terminal) {
            err.print("\r" + line);
            err.flush();
            return;
        }
        int percent = (int) (100L * done / total);
        if (percent / 5 != lastPrintedPercent / 5 || done == total) {
            lastPrintedPercent = percent;
            err.println(line);
        }
    }

    /** "peak 1234 MB" (CPU: the step's peak RSS) or "gpu 1234 MB" (device memory in use). */
    static String memory(StepReport r) {
        if (r.memory().bytes() < 0) {
            return "mem -";
        }
        String label = r.memory().source() == StepMemory.Source.DEVICE_USED ? "gpu" : "peak";
        return String.format(Locale.ROOT, "%s %.0f MB", label, r.memory().megabytes());
    }

    void finish() {
        if (terminal) {
            err.println();
        }
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
