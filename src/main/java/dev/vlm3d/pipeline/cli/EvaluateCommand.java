package dev.vlm3d.pipeline.cli;

import ai.djl.Device;
import dev.vlm3d.evaluation.Evaluation;
import dev.vlm3d.evaluation.Gpteval3d;
import dev.vlm3d.evaluation.MethodAssets;
import dev.vlm3d.evaluation.QwenJudge;
import dev.vlm3d.evaluation.ViewExporter;
import dev.vlm3d.models.TinyModelSet;
import dev.vlm3d.models.qwen25vl.QwenVlModel;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
import dev.vlm3d.options.PromptList;
import dev.vlm3d.pipeline.CpuThreads;
import dev.vlm3d.pipeline.ModelSettings;
import dev.vlm3d.pipeline.PipelineModels;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code evaluate}: the GPTEval3D protocol with a local Qwen2.5-VL judge, without web server or database
 * (docs/evaluation.md). Renders what is not yet in the benchmark's layout, asks the judge, fits the Elo ratings and
 * writes comparisons.json, questions.json, scores.json and ratings.png into {@code --out}.
 */
public final class EvaluateCommand {

    static final String USAGE = """
            usage: java -jar vlm3d-server.jar evaluate --methods DIR [DIR…] --prompts gpteval3d|FILE --out DIR [options]
              --methods DIR…          one folder per method (its name is the method's): <id>/0/rgb_*.png and
                                      normal_*.png in GPTEval3D's layout, <id>.glb, or <id>/model.glb (generate --out)
              --prompts gpteval3d|FILE  the benchmark's 110 prompts (bundled) or one prompt a line; id = line index
              --judge-vlm DIR         Qwen2.5-VL-Instruct snapshot folder (default: the TINY RANDOM model: a
                                      plumbing run whose numbers judge nothing)
              --baselines DIR         folder of already rendered methods, e.g. the 13 published ones
              --mode tournament|new-method  (default: tournament)
              --anchor NAME           tournament anchor frozen at 1000 (default: dreamfusion if present, else the
                                      first --methods folder)
              --views N --size N      renders per asset and their size (default: 120 and 512, the benchmark's)
              --supersample N         samples per pixel and axis when rasterizing GLBs (default 2)
              --normalize X           scale GLBs to a half-extent of X around the origin (default: as they are)
              --max-questions N       stop after N questions (default: the benchmark's 1,500 slots)
              --max-pixels N          cap on the composite's pixels for the judge (default: the processor's)
              --seed N                schedule and left/right draws (default 0)
              --keep-composites       also write each question's image under questions/
              --device cpu|gpu0 --vlm-precision FP32|FP16_WEIGHTS --threads N --cache-dir DIR
            """;

    private EvaluateCommand() {}

    public static void main(String[] args) {
        GenerateCommand.quietLogging();
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Arguments a;
        try {
            a = Arguments.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        if (a.help) {
            out.print(USAGE);
            return 0;
        }
        try {
            List<String> prompts = PromptList.load(a.prompts);
            Map<String, MethodAssets> methods = new LinkedHashMap<>();
            for (Path dir : a.methods) {
                MethodAssets m = MethodAssets.scan(dir, prompts.size());
                if (methods.put(m.name(), m) != null) {
                    throw new IllegalArgumentException("two --methods folders are named " + m.name());
                }
            }
            Map<String, MethodAssets> baselines = new LinkedHashMap<>();
            if (a.baselines != null) {
                try (Stream<Path> dirs = Files.list(a.baselines)) {
                    for (Path d : dirs.filter(Files::isDirectory).sorted().toList()) {
                        if (!d.getFileName().toString().startsWith(".")) {
                            MethodAssets m = MethodAssets.scan(d, prompts.size());
                            baselines.put(m.name(), m);
                        }
                    }
                }
            }
            ViewExporter exporter = new ViewExporter(a.views, a.size, a.supersample, a.normalize);
            boolean plumbing = a.judgeVlm == null;
            Evaluation.Plan plan = new Evaluation.Plan(
                    prompts,
                    methods,
                    baselines,
                    a.mode,
                    a.anchor,
                    a.seed,
                    a.maxQuestions,
                    exporter,
                    plumbing,
                    a.keepComposites);
            CpuThreads.apply(a.threads);
            Device device = PipelineModels.device(a.device);
            Path vlmDir = plumbing
                    ? TinyModelSet.ensure(a.cacheDir != null ? a.cacheDir : ModelSettings.defaultCacheDir())
                            .vlmDir()
                    : a.judgeVlm;
            if (plumbing) {
                err.println("NOTE: no --judge-vlm given: the judge is the TINY RANDOM Qwen2.5-VL from " + vlmDir
                        + ". This is a PLUMBING RUN: tiny random weights judge nothing.");
            }
            long t0 = System.nanoTime();
            QwenVlModel model = QwenVlModel.load(vlmDir, device, a.vlmPrecision);
            String label = (plumbing ? "tiny-random " : "") + vlmDir.getFileName();
            try (QwenJudge judge = new QwenJudge(model, a.maxPixels, label, true)) {
                err.printf(
                        Locale.ROOT,
                        "judge loaded on %s in %.1f s; %s mode, %d methods, %d baselines, %d prompts%n",
                        device,
                        (System.nanoTime() - t0) / 1e9,
                        a.mode.wireName(),
                        methods.size(),
                        baselines.size(),
                        prompts.size());
                long[] last = {0};
                Evaluation.Outcome result = new Evaluation(Gpteval3d.load())
                        .run(plan, judge, a.out, (stage, done, total) -> {
                            long now = System.nanoTime();
                            if (done == total || now - last[0] > 2_000_000_000L) {
                                last[0] = now;
                                err.printf(Locale.ROOT, "%s %d/%d (%.0f s)%n", stage, done, total, (now - t0) / 1e9);
                            }
                        });
                for (Path p : result.files()) {
                    out.println(p);
                }
                err.printf(
                        Locale.ROOT,
                        "done in %.1f s: %d questions%n",
                        (System.nanoTime() - t0) / 1e9,
                        result.questions());
            }
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("error: evaluation failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    static final class Arguments {
        final List<Path> methods = new ArrayList<>();
        String prompts;
        Path judgeVlm;
        Path out;
        Path baselines;
        Evaluation.Mode mode = Evaluation.Mode.TOURNAMENT;
        String anchor;
        int views = 120;
        int size = 512;
        int supersample = 2;
        double normalize;
        int maxQuestions;
        long maxPixels;
        long seed;
        boolean keepComposites;
        String device = "cpu";
        QwenVlPrecision vlmPrecision = QwenVlPrecision.FP32;
        Integer threads = 1;
        Path cacheDir;
        boolean help;

        static Arguments parse(String[] args) {
            Arguments a = new Arguments();
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                switch (flag) {
                    case "--help", "-h" -> {
                        a.help = true;
                        continue;
                    }
                    case "--keep-composites" -> {
                        a.keepComposites = true;
                        continue;
                    }
                    case "--methods" -> {
                        while (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                            a.methods.add(Path.of(args[++i]));
                        }
                        if (a.methods.isEmpty()) {
                            throw new IllegalArgumentException("--methods needs at least one folder");
                        }
                        continue;
                    }
                    default -> {}
                }
                if (!flag.startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException(
                            flag.startsWith("--") ? flag + " needs a value" : "unexpected argument '" + flag + "'");
                }
                String v = args[++i];
                try {
                    switch (flag) {
                        case "--prompts" -> a.prompts = v;
                        case "--judge-vlm" -> a.judgeVlm = Path.of(v);
                        case "--out" -> a.out = Path.of(v);
                        case "--baselines" -> a.baselines = Path.of(v);
                        case "--mode" -> a.mode = Evaluation.Mode.parse(v);
                        case "--anchor" -> a.anchor = v;
                        case "--views" -> a.views = Integer.parseInt(v);
                        case "--size" -> a.size = Integer.parseInt(v);
                        case "--supersample" -> a.supersample = Integer.parseInt(v);
                        case "--normalize" -> a.normalize = Double.parseDouble(v);
                        case "--max-questions" -> a.maxQuestions = Integer.parseInt(v);
                        case "--max-pixels" -> a.maxPixels = Long.parseLong(v);
                        case "--seed" -> a.seed = Long.parseLong(v);
                        case "--device" -> a.device = v;
                        case "--vlm-precision" -> a.vlmPrecision = QwenVlPrecision.valueOf(v.toUpperCase(Locale.ROOT));
                        case "--threads" -> a.threads = Integer.parseInt(v);
                        case "--cache-dir" -> a.cacheDir = Path.of(v);
                        default -> throw new IllegalArgumentException("unknown flag " + flag);
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(flag + " must be a number");
                }
            }
            if (!a.help) {
                if (a.methods.isEmpty()) {
                    throw new IllegalArgumentException("--methods is required");
                }
                if (a.prompts == null) {
                    throw new IllegalArgumentException("--prompts is required");
                }
                if (a.out == null) {
                    throw new IllegalArgumentException("--out is required");
                }
            }
            return a;
        }
    }
}
