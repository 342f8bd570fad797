package dev.vlm3d.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.vlm3d.engine.RunConfig;
import dev.vlm3d.engine.RunHooks;
import dev.vlm3d.engine.StepReport;
import dev.vlm3d.engine.Vlm3dRun;
import dev.vlm3d.engine.field.FieldConfig;
import dev.vlm3d.engine.guidance.Guidance;
import dev.vlm3d.engine.guidance.SdsNoise;
import dev.vlm3d.engine.render.CameraConfig;
import dev.vlm3d.engine.reward.Reward;
import dev.vlm3d.engine.reward.RewardOptions;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
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

/**
 * Cost of a {@code paper} step with Qwen2.5-VL-7B and MVDream at their real sizes (random weights generated on the
 * device, {@link RealSizeModels}), at the two camera phases of the paper schedule: phase A (8 views × 64², steps
 * below the milestone) and phase B (4 views × 256²), 512 samples per ray, the paper's field. For each precision mode
 * that fits: s/step split into render, guidance, reward, backward and optimizer; peak memory ({@link DeviceMemory});
 * and the projected minutes of the 10,000-step run (phase A's s/step × its steps + phase B's × its steps).
 *
 * <p>A phase is measured from step 0 of a run whose camera config has that phase only, so the other schedules
 * (λ_VLM, SDS timestep, shading) are at their step-0 values; their cost does not depend on the step.
 *
 * <pre>
 * # on a GPU (tools/gpu/run.sh does this):
 * java -cp … dev.vlm3d.bench.RealSizeStepBenchmark --device gpu0 --size real --modes FP32,FP16_WEIGHTS \
 *     --warmup 1 --steps 3 --budget-seconds 300 --json out/realsize.json
 * # on the CPU, scaled down (what RealSizeStepBenchmarkTest runs):
 * ./mvnw -q -o test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.vlm3d.bench.RealSizeStepBenchmark \
 *     -Dexec.args="--size reduced --device cpu --modes FP32 --warmup 1 --steps 2"
 * </pre>
 */
public final class RealSizeStepBenchmark {

    static final String PROMPT = "a ceramic teapot painted with blue flowers";
    private static final Gson GSON = new GsonBuilder()
            .setPrettyPrinting()
            .serializeSpecialFloatingPointValues()
            .create();

    /** Parsed arguments. */
    record Options(
            RealSizeModels.Size size,
            String device,
            List<String> modes,
            List<String> phases,
            int warmup,
            int steps,
            Path json,
            Integer samples,
            Integer phaseAResolution,
            Integer phaseBResolution,
            double budgetSeconds) {

        static Options parse(String[] args) {
            RealSizeModels.Size size = RealSizeModels.Size.REAL;
            String device = "gpu0";
            List<String> modes = List.of("FP32", "FP16_WEIGHTS");
            List<String> phases = List.of("A", "B");
            int warmup = 1;
            int steps = 3;
            Path json = null;
            Integer samples = null;
            Integer resA = null;
            Integer resB = null;
            double budget = Double.POSITIVE_INFINITY;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value after " + a);
                }
                String v = args[++i];
                switch (a) {
                    case "--size" -> size = RealSizeModels.Size.valueOf(v.toUpperCase(Locale.ROOT));
                    case "--device" -> device = v;
                    case "--modes" -> modes = List.of(v.split(","));
                    case "--phases" ->
                        phases = List.of(v.toUpperCase(Locale.ROOT).split(","));
                    case "--warmup" -> warmup = Integer.parseInt(v);
                    case "--steps" -> steps = Integer.parseInt(v);
                    case "--json" -> json = Path.of(v);
                    case "--samples" -> samples = Integer.parseInt(v);
                    case "--phase-a-resolution" -> resA = Integer.parseInt(v);
                    case "--phase-b-resolution" -> resB = Integer.parseInt(v);
                    case "--budget-seconds" -> budget = Double.parseDouble(v);
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            for (String m : modes) {
                QwenVlPrecision.valueOf(m);
            }
            for (String p : phases) {
                if (!p.equals("A") && !p.equals("B")) {
                    throw new IllegalArgumentException("phases are A and B, not " + p);
                }
            }
            if (warmup < 0 || steps < 1) {
                throw new IllegalArgumentException("need --warmup ≥ 0 and --steps ≥ 1");
            }
            if (size == RealSizeModels.Size.REDUCED) {
                // CPU-sized renders unless given: the phases keep their view counts, 8 and 4
                samples = samples != null ? samples : 32;
                resA = resA != null ? resA : 16;
                resB = resB != null ? resB : 32;
            }
            return new Options(size, device, modes, phases, warmup, steps, json, samples, resA, resB, budget);
        }
    }

    private RealSizeStepBenchmark() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        System.setProperty("ai.djl.offline", "true");
        JsonObject result = run(Options.parse(args), System.out);
        boolean anyMeasured = false;
        for (var m : result.getAsJsonArray("modes")) {
            for (var p : m.getAsJsonObject().has("phases")
                    ? m.getAsJsonObject().getAsJsonArray("phases")
                    : new JsonArray()) {
                anyMeasured |= p.getAsJsonObject().has("seconds_per_step");
            }
        }
        // the JSON holds why (skipped / error); a run that measured nothing is a failed run
        System.exit(anyMeasured ? 0 : 1);
    }

    /** Runs every mode and phase, prints a line per phase, writes and returns the JSON report. */
    static JsonObject run(Options o, PrintStream out) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Device device = PipelineModels.device(o.device());
        Engine engine = Engine.getInstance();
        DeviceMemory memory = new DeviceMemory(device);
        RunConfig paper = RunConfig.paper();
        JsonObject result = new JsonObject();
        result.addProperty("benchmark", "RealSizeStepBenchmark");
        result.addProperty("size", o.size().name().toLowerCase(Locale.ROOT));
        result.addProperty("device", device.toString());
        result.addProperty("engine", engine.getEngineName() + " " + engine.getVersion());
        result.addProperty("memory_source", memory.source());
        result.addProperty("warmup_steps", o.warmup());
        result.addProperty("measured_steps", o.steps());
        result.addProperty("prompt", PROMPT);
        JsonArray modes = new JsonArray();
        result.add("modes", modes);
        try (RealSizeModels models = RealSizeModels.prepare(o.size())) {
            result.add("parameters", GSON.toJsonTree(models.parameters()));
            for (String modeName : o.modes()) {
                QwenVlPrecision vlm = QwenVlPrecision.valueOf(modeName);
                // the fp16 mode halves the frozen diffusion networks too, where fp16 kernels exist (GPU)
                DataType diffusion =
                        vlm == QwenVlPrecision.FP16_WEIGHTS && device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
                JsonObject mode = new JsonObject();
                modes.add(mode);
                mode.addProperty("mode", modeName);
                mode.addProperty("vlm_precision", vlm.name());
                mode.addProperty("diffusion_type", diffusion.name());
                long need = models.weightBytes(vlm, diffusion);
                long free = memory.freeBytes();
                mode.addProperty("weight_bytes", need);
                mode.addProperty("free_bytes_before_load", free);
                if (need * 1.1 > free) {
                    mode.addProperty(
                            "skipped",
                            String.format(
                                    Locale.ROOT, "weights need %.1f GiB, %.1f GiB free", need / 0x1p30, free / 0x1p30));
                    out.println(modeName + ": skipped, " + mode.get("skipped").getAsString());
                    continue;
                }
                if ((System.nanoTime() - start) / 1e9 > o.budgetSeconds()) {
                    mode.addProperty("skipped", "time budget of " + o.budgetSeconds() + " s spent");
                    out.println(modeName + ": skipped, time budget spent");
                    continue;
                }
                try {
                    measureMode(
                            o, paper, models, device, vlm, diffusion, memory, mode, out, start, () -> write(o, result));
                } catch (RuntimeException | OutOfMemoryError e) {
                    mode.addProperty("error", e.toString());
                    out.println(modeName + ": failed, " + e);
                    e.printStackTrace(out);
                } finally {
                    models.closeModels();
                    if (device.isGpu()) {
                        JniUtils.emptyCudaCache();
                    }
                }
                write(o, result);
            }
        }
        write(o, result);
        if (o.json() != null) {
            out.println("wrote " + o.json());
        }
        return result;
    }

    /** Rewrites the report after every phase, so a run stopped from outside (a device call's limit) keeps its figures. */
    private static void write(Options o, JsonObject result) {
        if (o.json() == null) {
            return;
        }
        try {
            if (o.json().getParent() != null) {
                Files.createDirectories(o.json().getParent());
            }
            Path tmp = o.json().resolveSibling(o.json().getFileName() + ".tmp");
            Files.writeString(tmp, GSON.toJson(result));
            Files.move(
                    tmp,
                    o.json(),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + o.json(), e);
        }
    }

    private static void measureMode(
            Options o,
            RunConfig paper,
            RealSizeModels models,
            Device device,
            QwenVlPrecision vlm,
            DataType diffusion,
            DeviceMemory memory,
            JsonObject mode,
            PrintStream out,
            long start,
            Runnable save)
            throws InterruptedException {
        memory.reset();
        long t0 = System.nanoTime();
        Engine.getInstance().setRandomSeed(0);
        models.load(device, vlm, diffusion);
        memory.sample();
        mode.addProperty("load_seconds", (System.nanoTime() - t0) / 1e9);
        mode.add("memory_after_load", GSON.toJsonTree(memory.figures()));
        mode.addProperty("peak_bytes_load", memory.peakBytes());
        out.printf(
                Locale.ROOT,
                "%s: models built on %s in %.1f s (VLM %s, diffusion %s), %s%n",
                vlm,
                device,
                (System.nanoTime() - t0) / 1e9,
                vlm,
                diffusion,
                models.parameters());
        JsonArray phases = new JsonArray();
        mode.add("phases", phases);
        CameraConfig c = paper.camera();
        int milestone = c.milestones().get(0);
        Map<String, Double> secondsPerStep = new LinkedHashMap<>();
        for (String phase : o.phases()) {
            int index = phase.equals("A") ? 0 : 1;
            int views = c.batchSizes().get(index);
            int resolution = c.resolutions().get(index);
            if (index == 0 && o.phaseAResolution() != null) {
                resolution = o.phaseAResolution();
            } else if (index == 1 && o.phaseBResolution() != null) {
                resolution = o.phaseBResolution();
            }
            RunConfig config = phaseConfig(paper, o, views, resolution);
            JsonObject p;
            if ((System.nanoTime() - start) / 1e9 > o.budgetSeconds()) {
                p = new JsonObject();
                p.addProperty("skipped", "time budget of " + o.budgetSeconds() + " s spent");
            } else {
                try {
                    p = measurePhase(config, models, device, memory, o);
                } catch (RuntimeException | OutOfMemoryError e) {
                    // an out-of-memory phase B must not lose phase A's figures, nor the next mode
                    p = new JsonObject();
                    p.addProperty("error", e.toString());
                    p.addProperty("peak_bytes", memory.peakBytes());
                    if (device.isGpu()) {
                        JniUtils.emptyCudaCache();
                    }
                }
            }
            p.addProperty("phase", phase);
            p.addProperty("views", views);
            p.addProperty("resolution", resolution);
            p.addProperty("samples_per_ray", config.render().samplesPerRay());
            p.addProperty("paper_steps_in_phase", index == 0 ? milestone : paper.maxSteps() - milestone);
            phases.add(p);
            save.run();
            if (!p.has("seconds_per_step")) {
                out.printf(
                        Locale.ROOT,
                        "%s phase %s (%d × %d²): %s%n",
                        vlm,
                        phase,
                        views,
                        resolution,
                        p.has("error")
                                ? "failed, " + p.get("error").getAsString()
                                : p.get("skipped").getAsString());
                continue;
            }
            JsonObject s = p.getAsJsonObject("seconds_per_step");
            secondsPerStep.put(phase, s.get("total").getAsDouble());
            out.printf(
                    Locale.ROOT,
                    "%s phase %s (%d × %d², %d samples): %.3f s/step = render %.3f + guidance %.3f + "
                            + "reward %.3f + backward %.3f + optimizer %.3f; peak %.2f GiB (%s)%n",
                    vlm,
                    phase,
                    views,
                    resolution,
                    config.render().samplesPerRay(),
                    s.get("total").getAsDouble(),
                    s.get("render").getAsDouble(),
                    s.get("guidance").getAsDouble(),
                    s.get("reward").getAsDouble(),
                    s.get("backward").getAsDouble(),
                    s.get("optimizer").getAsDouble(),
                    p.get("peak_bytes").getAsLong() / 0x1p30,
                    memory.source());
        }
        if (secondsPerStep.containsKey("A") && secondsPerStep.containsKey("B")) {
            double minutes =
                    (secondsPerStep.get("A") * milestone + secondsPerStep.get("B") * (paper.maxSteps() - milestone))
                            / 60;
            mode.addProperty("projected_minutes_paper_run", minutes);
            mode.addProperty("paper_run_steps", paper.maxSteps());
            out.printf(
                    Locale.ROOT,
                    "%s: projected %.1f min for the %d-step paper run (%d steps phase A + %d phase B)%n",
                    vlm,
                    minutes,
                    paper.maxSteps(),
                    milestone,
                    paper.maxSteps() - milestone);
        }
    }

    /** The paper run with one camera phase from step 0, optionally with fewer samples (reduced size). */
    static RunConfig phaseConfig(RunConfig paper, Options o, int views, int resolution) {
        CameraConfig c = paper.camera();
        CameraConfig camera = c.withPhases(List.of(resolution), List.of(views), List.of());
        RunConfig config = paper.withCamera(camera).withCheckpointEvery(0).withMaxSteps(o.warmup() + o.steps());
        if (o.samples() != null) {
            config = config.withRender(paper.render().withSamplesPerRay(o.samples()));
        }
        if (o.size() == RealSizeModels.Size.REDUCED) {
            config = new RunConfig(
                    config.seed(),
                    config.maxSteps(),
                    0,
                    FieldConfig.tiny(),
                    config.camera(),
                    config.render(),
                    config.optimizer(),
                    config.loss(),
                    config.export());
        }
        return config;
    }

    private static JsonObject measurePhase(
            RunConfig config, RealSizeModels models, Device device, DeviceMemory memory, Options o)
            throws InterruptedException {
        memory.reset();
        List<StepReport> measured = new ArrayList<>();
        Guidance guidance = models.guidance().forPrompt(PROMPT, null, SdsNoise.seeded(config.seed()));
        Reward reward = models.reward().forPrompt(PROMPT, RewardOptions.defaults(), 0);
        long t0 = System.nanoTime();
        try (Vlm3dRun run = new Vlm3dRun(config, guidance, reward, device)) {
            run.runUntil(config.maxSteps(), RunHooks.listening(rep -> {
                memory.sample();
                if (rep.step() >= o.warmup()) {
                    measured.add(rep);
                }
            }));
        } finally {
            guidance.close();
            reward.close();
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        double[] sum = new double[6];
        long samples = 0;
        for (StepReport rep : measured) {
            sum[0] += rep.timing().renderMs();
            sum[1] += rep.timing().guidanceMs();
            sum[2] += rep.timing().rewardMs();
            sum[3] += rep.timing().backwardMs();
            sum[4] += rep.timing().optimizerMs();
            sum[5] += rep.timing().totalMs();
            samples += rep.samples();
        }
        int n = measured.size();
        JsonObject p = new JsonObject();
        JsonObject s = new JsonObject();
        String[] names = {"render", "guidance", "reward", "backward", "optimizer", "total"};
        for (int i = 0; i < names.length; i++) {
            s.addProperty(names[i], sum[i] / n / 1000);
        }
        p.add("seconds_per_step", s);
        p.addProperty("measured_steps", n);
        p.addProperty("wall_seconds_with_warmup", wall);
        p.addProperty("mean_samples_with_gradient", (double) samples / n);
        StepReport last = measured.get(n - 1);
        p.addProperty("last_reward", last.reward());
        p.addProperty("last_guidance_loss", last.guidanceLoss());
        p.addProperty("peak_bytes", memory.peakBytes());
        p.add("memory", GSON.toJsonTree(memory.figures()));
        return p;
    }
}
