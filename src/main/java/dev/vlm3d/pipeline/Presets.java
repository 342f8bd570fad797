package dev.vlm3d.pipeline;

import dev.vlm3d.engine.ExportConfig;
import dev.vlm3d.engine.LossConfig;
import dev.vlm3d.engine.RunConfig;
import dev.vlm3d.engine.Schedule;
import dev.vlm3d.engine.render.CameraConfig;
import dev.vlm3d.engine.render.RenderConfig;
import dev.vlm3d.engine.reward.RewardOptions.QuestionTemplate;
import java.util.List;

/**
 * The one set of named run presets, used by the API, the worker and the CLI. Every difference to the paper or the
 * released code is listed, with its reason, in docs/paper-vs-code.md.
 *
 * <ul>
 *   <li>{@code paper}: the VLM3D run of the paper (MVDream-threestudio shading config + the Qwen2.5-VL reward):
 *       10,000 steps, 64² renders of two 4-view groups until step 5000 then 256² of one group, 512 samples per ray,
 *       λ_VLM 300 → 1 over the 10,000 steps with the reward on for the whole run, the SELECTED question on all views
 *       (each upsampled to 256², 81 visual tokens), AdamW with the implicit weight decay 0.01.</li>
 *   <li>{@code paper-released}: the released config: the same run for 20,000 steps; the reward is on for steps below
 *       10,000 (while λ_VLM anneals) and steps 10,000 onwards are SDS only. A job that sets {@code steps} keeps the
 *       shape: the reward runs for the first half.</li>
 *   <li>{@code fast}: a cheaper schedule of the same method: 2,500 steps, 64² renders of one 4-view group
 *       throughout, 256 samples per ray, albedo-only shading and the λ_orient ramp over the first half, λ_VLM 300 → 1
 *       over the run, a 128³ mesh and 8 evaluation renders. The SDS timestep annealing is stretched to the run
 *       (its ramps end at 80% of the steps, as the official ones end at 8,000 of 10,000), see
 *       {@link #timestepHorizonScale}.</li>
 *   <li>{@code preview}: CPU-sized, the default with the tiny random models: a small hash grid, 32² renders of one
 *       4-view group, 64 samples per ray, 40 steps with every schedule compressed to the run (the engine's
 *       {@code RunConfig.tiny}). It shows that the whole pipeline runs, not what the method produces.</li>
 * </ul>
 */
public final class Presets {

    public static final String PAPER = "paper";
    public static final String PAPER_RELEASED = "paper-released";
    public static final String FAST = "fast";
    public static final String PREVIEW = "preview";
    public static final List<String> NAMES = List.of(PAPER, PAPER_RELEASED, FAST, PREVIEW);
    /** Used when a request names no preset. */
    public static final String DEFAULT = PREVIEW;

    private Presets() {
    }

    /** The preset's own option values, before any job override. */
    public static GenerationOptions defaults(String name) {
        return switch (name == null ? DEFAULT : name) {
            case PAPER -> new GenerationOptions(PAPER, 10_000, 300, 1, 10_000, QuestionTemplate.SELECTED, false, true,
                    Backbone.MVDREAM);
            case PAPER_RELEASED -> new GenerationOptions(PAPER_RELEASED, 20_000, 300, 1, 10_000,
                    QuestionTemplate.SELECTED, false, true, Backbone.MVDREAM);
            case FAST -> new GenerationOptions(FAST, 2_500, 300, 1, 2_500, QuestionTemplate.SELECTED, false, true,
                    Backbone.MVDREAM);
            case PREVIEW -> new GenerationOptions(PREVIEW, 40, 300, 1, 40, QuestionTemplate.SELECTED, false, true,
                    Backbone.MVDREAM);
            default -> throw new InvalidOptionException("INVALID_FIELD", "preset",
                    "preset must be one of " + String.join(", ", NAMES));
        };
    }

    /**
     * How much to stretch the SDS timestep annealing (whose official ramps end at step 8000): {@code paper} and
     * {@code paper-released} keep the absolute horizon whatever their step count (the released config runs 20,000
     * steps on the same ramps); the shorter presets scale it to their length ({@code steps / 10000}) so that t
     * anneals down within the run.
     */
    public static double timestepHorizonScale(GenerationOptions options) {
        return PAPER.equals(options.preset()) || PAPER_RELEASED.equals(options.preset())
                ? 1.0 : options.steps() / 10_000.0;
    }

    /** The engine configuration of a run with these options. */
    public static RunConfig runConfig(GenerationOptions options, long seed) {
        int steps = options.steps();
        RunConfig base = switch (options.preset()) {
            case PAPER -> RunConfig.paper().withCheckpointEvery(250);
            case PAPER_RELEASED -> RunConfig.paperReleased().withCheckpointEvery(250);
            case FAST -> fast(steps);
            case PREVIEW -> RunConfig.tiny(steps).withCheckpointEvery(10);
            default -> throw new IllegalArgumentException("unknown preset " + options.preset());
        };
        LossConfig loss = base.loss();
        Schedule lambdaVlm = new Schedule(0, options.lambdaVlmStart(), options.lambdaVlmEnd(),
                options.lambdaVlmAnnealSteps());
        // paper-released stops the reward where the released code does (step 10,000 of 20,000, scaled with steps);
        // every other preset runs it on every step
        int rewardUntil = PAPER_RELEASED.equals(options.preset())
                ? (int) Math.round((double) base.loss().vlmUntilStep() * steps / base.maxSteps())
                : steps;
        loss = new LossConfig(loss.lambdaGuidance(), loss.lambdaOrient(), lambdaVlm, rewardUntil);
        return base.withSeed(seed).withMaxSteps(steps).withLoss(loss);
    }

    private static RunConfig fast(int steps) {
        RunConfig paper = RunConfig.paper();
        CameraConfig p = paper.camera();
        CameraConfig camera = new CameraConfig(List.of(64), List.of(4), List.of(), p.viewsPerGroup(), p.distanceMin(),
                p.distanceMax(), p.relativeRadius(), p.fovyMinDeg(), p.fovyMaxDeg(), p.elevationMinDeg(),
                p.elevationMaxDeg(), p.lightDistanceMin(), p.lightDistanceMax(), p.lightPerturb(), p.evalViews(),
                p.evalElevationDeg(), p.evalDistance(), p.evalFovyDeg(), 256);
        RenderConfig r = paper.render();
        int half = Math.max(1, steps / 2);
        RenderConfig render = new RenderConfig(256, r.occupancyResolution(), r.occupancyEvery(), r.occupancyDecay(),
                r.occupancyThreshold(), r.earlyStopEps(), r.backgroundRandomProb(), half, r.albedoProb(),
                r.texturelessProb(), r.chunkRays());
        LossConfig loss = new LossConfig(1.0, new Schedule(0, 10, 1000, half), paper.loss().lambdaVlm(), steps);
        ExportConfig export = new ExportConfig(128, 25f, true, 0.01f, 8, 256, 30, 256);
        return paper.withCamera(camera).withRender(render).withLoss(loss).withExport(export).withCheckpointEvery(100);
    }
}
