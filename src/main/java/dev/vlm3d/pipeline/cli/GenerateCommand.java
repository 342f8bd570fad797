package dev.vlm3d.pipeline.cli;

import ai.djl.Device;
import dev.vlm3d.engine.ExportConfig;
import dev.vlm3d.engine.RunHooks;
import dev.vlm3d.engine.export.AssetExporter;
import dev.vlm3d.engine.export.ExportedArtifact;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
import dev.vlm3d.options.GenerationOptions;
import dev.vlm3d.options.InvalidOptionException;
import dev.vlm3d.options.Preset;
import dev.vlm3d.pipeline.CpuThreads;
import dev.vlm3d.pipeline.GenerationJob;
import dev.vlm3d.pipeline.ModelConfigurationException;
import dev.vlm3d.pipeline.ModelSettings;
import dev.vlm3d.pipeline.PipelineModels;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code generate}: one VLM3D generation from the command line, without web server or database. Writes the same
 * files as a service job (model.glb, model.obj, render_*.png, turntable.gif, curves.json/csv/png, run.json) into
 * {@code --out}, with a progress bar on stderr.
 */
public final class GenerateCommand {

    static final String USAGE = """
            usage: java -jar vlm3d-server.jar generate --prompt "TEXT" --out DIR [options]
              --preset NAME                   paper, paper-released, fast or preview (default: preview)
              --steps N                       optimizer steps (default: the preset's)
              --seed N                        random seed (default: 0)
              --negative TEXT                 negative prompt (default: MVDream's quality negatives)
              --vlm DIR --diffusion DIR       model snapshot folders (default: the tiny random models)
              --sd21 DIR                      Stable Diffusion 2.1-base folder, for --backbone sd21
              --device cpu|gpu0|…             device (default: cpu)
              --vlm-precision FP32|FP16_WEIGHTS, --diffusion-precision FLOAT32|FLOAT16
              --cache-dir DIR                 where the tiny models are generated (default: ~/.cache/vlm3d)
              --threads N                     libtorch CPU threads (default: 1; 0 = libtorch's default)
              --export all|mesh|curves        what to write after the steps (default: all; mesh skips the
                                              renders and turntable, curves also the mesh)
              --iso-threshold X|auto          density level of the mesh (default: the preset's; auto = the
                                              mean density above 1e-5, for a run whose density is still low)
              --lambda-vlm-start X --lambda-vlm-end X --lambda-vlm-anneal-steps N
              --vlm-question selected|a|b  --vlm-views all|one  --backbone mvdream|sd21  --no-reward
            """;

    private GenerateCommand() {}

    /** The process entry (also reached through {@code Vlm3dApplication.main("generate", …)}, before Spring starts). */
    public static void main(String[] args) {
        quietLogging();
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Without Spring Boot's logging setup logback would print DJL's DEBUG lines to stdout. Keep our warnings and our
     * own INFO, on stderr: stdout lists the files written.
     */
    static void quietLogging() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
            ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            root.setLevel(ch.qos.logback.classic.Level.WARN);
            context.getLogger("ai.djl").setLevel(ch.qos.logback.classic.Level.ERROR);
            context.getLogger("dev.vlm3d").setLevel(ch.qos.logback.classic.Level.INFO);
            root.iteratorForAppenders().forEachRemaining(appender -> {
                if (appender instanceof ch.qos.logback.core.ConsoleAppender<?> console) {
                    console.stop();
                    console.setTarget("System.err");
                    console.start();
                }
            });
        }
    }

    /** Runs the command; returns the process exit code (0 done, 1 failed, 2 bad usage). */
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
            GenerationOptions options = GenerationOptions.resolve(a.preset, a.steps, a.options);
            CpuThreads.apply(a.threads);
            ModelSettings settings =
                    new ModelSettings(a.vlm, a.diffusion, a.sd21, a.cacheDir, a.vlmPrecision, a.diffusionType());
            Device device = PipelineModels.device(a.device);
            long t0 = System.nanoTime();
            try (PipelineModels models = PipelineModels.load(settings, device)) {
                if (models.folders().tiny()) {
                    err.println("NOTE: no --vlm/--diffusion given: running the TINY RANDOM models from "
                            + models.folders().vlmDir().getParent() + ". The asset shows that the pipeline runs, "
                            + "not what real weights produce.");
                }
                err.printf(
                        Locale.ROOT,
                        "models loaded on %s in %.1f s (%s); preset %s, %d steps, seed %d%n",
                        device,
                        (System.nanoTime() - t0) / 1e9,
                        models.estimate().describe(),
                        options.preset().wireName(),
                        options.steps(),
                        a.seed);
                GenerationJob.Result result = generate(models, a, options, err);
                if (result instanceof GenerationJob.EmptyMesh empty) {
                    err.println("error: " + empty.reason() + " (no model.glb written; train longer, or pass "
                            + "--export curves)");
                    return 1;
                }
                if (result instanceof GenerationJob.ExportFailed failed) {
                    err.println("error: export failed: " + failed.cause());
                    failed.cause().printStackTrace(err);
                    return 1;
                }
                List<ExportedArtifact> written = ((GenerationJob.Exported) result).files();
                for (ExportedArtifact file : written) {
                    out.println(file.path());
                }
                err.printf(
                        Locale.ROOT,
                        "done in %.1f s: %d files in %s%n",
                        (System.nanoTime() - t0) / 1e9,
                        written.size(),
                        a.out);
            }
            return 0;
        } catch (InvalidOptionException e) {
            err.println("error: " + e.field() + ": " + e.getMessage());
            return 2;
        } catch (ModelConfigurationException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("error: generation failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    /**
     * The job's sequence ({@link GenerationJob#generate}) with the progress bar as its listener, written straight
     * into {@code --out} under the files' final names. No stop hook and no checkpoints: a command-line run is not
     * resumed.
     */
    private static GenerationJob.Result generate(
            PipelineModels models, Arguments a, GenerationOptions options, PrintStream err)
            throws IOException, InterruptedException {
        Files.createDirectories(a.out);
        try (GenerationJob job = GenerationJob.open(models, a.prompt, a.negative, a.seed, options)) {
            ProgressBar bar = new ProgressBar(err, job.totalSteps());
            ExportConfig export = a.isoThreshold == null
                    ? job.exportConfig()
                    : job.exportConfig().withIsoThreshold(a.isoThreshold);
            return job.generate(
                    RunHooks.listening(bar::update),
                    last -> {
                        bar.finish();
                        err.println(
                                switch (a.export) {
                                    case ALL -> "exporting mesh, renders, turntable and curves …";
                                    case MESH -> "exporting mesh and curves …";
                                    case CURVES -> "exporting curves …";
                                });
                    },
                    a.out,
                    a.export,
                    export);
        }
    }

    /** The parsed command line. */
    static final class Arguments {
        String prompt;
        Path out;
        String preset = Preset.DEFAULT.wireName();
        Integer steps;
        long seed;
        String negative;
        Path vlm;
        Path diffusion;
        Path sd21;
        Path cacheDir;
        String device = "cpu";
        QwenVlPrecision vlmPrecision;
        String diffusionPrecision;
        Integer threads = 1;
        AssetExporter.Scope export = AssetExporter.Scope.ALL;
        Float isoThreshold;
        boolean help;
        final Map<String, Object> options = new LinkedHashMap<>();

        static Arguments parse(String[] args) {
            Arguments a = new Arguments();
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (flag.equals("--help") || flag.equals("-h")) {
                    a.help = true;
                    continue;
                }
                if (flag.equals("--no-reward")) {
                    a.options.put("reward", false);
                    continue;
                }
                if (!flag.startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException(
                            flag.startsWith("--") ? flag + " needs a value" : "unexpected argument '" + flag + "'");
                }
                String value = args[++i];
                switch (flag) {
                    case "--prompt" -> a.prompt = value;
                    case "--out" -> a.out = Path.of(value);
                    case "--preset" -> a.preset = value;
                    case "--steps" -> a.steps = integer(flag, value);
                    case "--seed" -> a.seed = Long.parseLong(value);
                    case "--negative" -> a.negative = value;
                    case "--vlm" -> a.vlm = Path.of(value);
                    case "--diffusion" -> a.diffusion = Path.of(value);
                    case "--sd21" -> a.sd21 = Path.of(value);
                    case "--cache-dir" -> a.cacheDir = Path.of(value);
                    case "--device" -> a.device = value;
                    case "--threads" -> a.threads = integer(flag, value);
                    case "--export" -> a.export = exportScope(value);
                    case "--iso-threshold" -> a.isoThreshold = isoThreshold(value);
                    case "--vlm-precision" -> a.vlmPrecision = QwenVlPrecision.valueOf(value.toUpperCase(Locale.ROOT));
                    case "--diffusion-precision" -> a.diffusionPrecision = value;
                    default -> {
                        String name = flag.substring(2).replace('-', '_');
                        if (!GenerationOptions.NAMES.contains(name)) {
                            throw new IllegalArgumentException("unknown flag " + flag);
                        }
                        a.options.put(name, optionValue(value));
                    }
                }
            }
            if (!a.help && (a.prompt == null || a.prompt.isBlank())) {
                throw new IllegalArgumentException("--prompt is required");
            }
            if (!a.help && a.out == null) {
                throw new IllegalArgumentException("--out is required");
            }
            return a;
        }

        ai.djl.ndarray.types.DataType diffusionType() {
            if (diffusionPrecision == null) {
                return null;
            }
            return switch (diffusionPrecision.toUpperCase(Locale.ROOT)) {
                case "FLOAT32", "FP32" -> ai.djl.ndarray.types.DataType.FLOAT32;
                case "FLOAT16", "FP16" -> ai.djl.ndarray.types.DataType.FLOAT16;
                default -> throw new ModelConfigurationException("--diffusion-precision must be FLOAT32 or FLOAT16");
            };
        }

        private static Float isoThreshold(String value) {
            if (value.equals("auto")) {
                return ExportConfig.AUTO_THRESHOLD;
            }
            try {
                float v = Float.parseFloat(value);
                if (v > 0 && Float.isFinite(v)) {
                    return v;
                }
            } catch (NumberFormatException e) {
                // explained below
            }
            throw new IllegalArgumentException("--iso-threshold must be a positive number or auto");
        }

        private static AssetExporter.Scope exportScope(String value) {
            try {
                return AssetExporter.Scope.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--export must be all, mesh or curves");
            }
        }

        private static int integer(String flag, String value) {
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " must be an integer");
            }
        }

        private static Object optionValue(String value) {
            if (value.equals("true") || value.equals("false")) {
                return Boolean.parseBoolean(value);
            }
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException e) {
                // not an integer
            }
            try {
                return Double.parseDouble(value);
            } catch (NumberFormatException e) {
                return value;
            }
        }
    }
}
