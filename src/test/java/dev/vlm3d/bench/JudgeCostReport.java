package dev.vlm3d.bench;

import dev.vlm3d.evaluation.Gpteval3d;
import dev.vlm3d.models.qwen25vl.QwenVlConfig;
import dev.vlm3d.models.qwen25vl.QwenVlCost;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
import dev.vlm3d.models.qwen25vl.SmartResize;
import dev.vlm3d.options.PromptList;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What one GPTEval3D run costs the local judge (docs/evaluation.md): per ensemble the composite size at 512² views,
 * its visual tokens, the judge calls (one vision pass per question, one language-model pass per criterion) and
 * their FLOPs by {@link QwenVlCost}. Text tokens are estimated at 4 characters per token (the real tokenizer is not
 * in the repository).
 *
 * <p>Run: {@code java -cp <test classpath> dev.vlm3d.bench.JudgeCostReport [config.json]} (default: the 7B hub
 * config under src/test/resources/configs).
 */
public final class JudgeCostReport {

    private JudgeCostReport() {}

    public static void main(String[] args) {
        Path cfg = Path.of(args.length > 0 ? args[0] : "src/test/resources/configs/qwen2.5-vl-7b-instruct.config.json");
        QwenVlConfig config = QwenVlConfig.read(cfg);
        Gpteval3d bench = Gpteval3d.load();
        double meanPrompt = PromptList.gpteval3d().stream()
                .mapToInt(String::length)
                .average()
                .orElse(0);
        int factor = config.vision().patchSize() * config.vision().spatialMergeSize();
        double total = 0;
        long questions = 0;
        long lmPasses = 0;
        System.out.printf(
                Locale.ROOT,
                "%-18s %5s %11s %11s %8s %6s %4s %12s %12s%n",
                "instruction",
                "qs",
                "composite",
                "resized",
                "img tok",
                "text",
                "crit",
                "TFLOP/quest",
                "TFLOP total");
        for (Gpteval3d.Ensemble e : bench.ensembles()) {
            int cols = (int) Math.round(Math.sqrt(e.numViews()));
            int blocks = (e.rgb() ? 1 : 0) + (e.normal() ? 1 : 0);
            int width = 2 * cols * 512;
            int height = blocks * cols * 512;
            int[] r = SmartResize.resize(
                    height, width, factor, SmartResize.DEFAULT_MIN_PIXELS, SmartResize.DEFAULT_MAX_PIXELS);
            long imageTokens = (long) (r[0] / config.vision().patchSize())
                    * (r[1] / config.vision().patchSize())
                    / (config.vision().spatialMergeSize() * config.vision().spatialMergeSize());
            int text = (int) Math.round((bench.instruction(e).length() + 150 + meanPrompt) / 4.0) + 20;
            QwenVlCost.Estimate one = QwenVlCost.estimate(config, 1, height, width, text, QwenVlPrecision.FP32);
            double vision = one.forwardFlops() - QwenVlCost.textForwardFlops(config, one.sequenceLength());
            int k = e.dimensions().size();
            double perQuestion = vision;
            for (int c = 0; c < k; c++) {
                // "Final answer:\n" ≈ 4 tokens, then two per option already chosen
                perQuestion += QwenVlCost.textForwardFlops(config, one.sequenceLength() + 4 + 2L * c);
            }
            double all = perQuestion * e.numComparisons();
            total += all;
            questions += e.numComparisons();
            lmPasses += (long) k * e.numComparisons();
            System.out.printf(
                    Locale.ROOT,
                    "%-18s %5d %5dx%-5d %5dx%-5d %8d %6d %4d %12.1f %12.0f%n",
                    e.fileName(),
                    e.numComparisons(),
                    width,
                    height,
                    r[1],
                    r[0],
                    imageTokens,
                    text,
                    k,
                    perQuestion / 1e12,
                    all / 1e12);
        }
        System.out.printf(
                Locale.ROOT,
                "total: %d questions, %d vision passes, %d language-model passes, %.3e FLOPs%n",
                questions,
                questions,
                lmPasses,
                total);
        QwenVlCost.Estimate w = QwenVlCost.estimate(config, 1, 1024, 1024, 900, QwenVlPrecision.FP32);
        System.out.printf(
                Locale.ROOT,
                "weights: %.1f GiB FP32, %.1f GiB FP16_WEIGHTS%n",
                w.weightBytes() / Math.pow(1024, 3),
                QwenVlCost.estimate(config, 1, 1024, 1024, 900, QwenVlPrecision.FP16_WEIGHTS)
                                .weightBytes()
                        / Math.pow(1024, 3));
    }
}
