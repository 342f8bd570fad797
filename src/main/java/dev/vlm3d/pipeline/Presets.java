package dev.vlm3d.pipeline;

import dev.vlm3d.engine.ExportConfig;
import dev.vlm3d.engine.LossConfig;
import dev.vlm3d.engine.RunConfig;
import dev.vlm3d.engine.Schedule;
import dev.vlm3d.engine.render.RenderConfig;
import dev.vlm3d.options.GenerationOptions;
import dev.vlm3d.options.Preset;
import java.util.List;

/**
 * How each {@link Preset} builds the engine's {@link RunConfig}: the half of a preset that only the pipeline sees
 * (its name and option defaults are {@link Preset}). Every difference to the paper or the released code is listed,
 * with its reason, in docs/paper-vs-code.md.
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

    private Presets() {}

    /**
     * How much to stretch the SDS timestep annealing (whose official ramps end at step 8000): {@code paper} and
     * {@code paper-released} keep the absolute horizon whatever their step count (the released config runs 20,000
     * steps on the same ramps); the shorter presets scale it to their length ({@code steps / 10000}) so that t
     * anneals down within the run.
     */
    public static double timestepHorizonScale(GenerationOptions options) {
        return switch (options.preset()) {
            case PAPER, PAPER_RELEASED -> 1.0;
            case FAST, PREVIEW -> options.steps() / 10_000.0;
        };
    }

    /** The engine configuration of a run with these options. */
    public static RunConfig runConfig(GenerationOptions options, long seed) {
        int steps = options.steps();
        RunConfig base = switch (options.preset()) {
            case PAPER -> RunConfig.paper().withCheckpointEvery(250);
            case PAPER_RELEASED -> RunConfig.paperReleased().withCheckpointEvery(250);
            case FAST -> fast(steps);
            case PREVIEW -> RunConfig.tiny(steps).withCheckpointEvery(10);
        };
        LossConfig loss = base.loss();
        Schedule lambdaVlm =
                new Schedule(0, options.lambdaVlmStart(), options.lambdaVlmEnd(), options.lambdaVlmAnnealSteps());
        // paper-released stops the reward where the released code does (step 10,000 of 20,000, scaled with steps);
        // every other preset runs it on every step
        int rewardUntil = options.preset() == Preset.PAPER_RELEASED
                ? (int) Math.round((double) base.loss().vlmUntilStep() * steps / base.maxSteps())
                : steps;
        loss = new LossConfig(loss.lambdaGuidance(), loss.lambdaOrient(), lambdaVlm, rewardUntil);
        return base.withSeed(seed).withMaxSteps(steps).withLoss(loss);
    }

    private static RunConfig fast(int steps) {
        RunConfig paper = RunConfig.paper();
        int half = Math.max(1, steps / 2);
        RenderConfig render = paper.render().withSamplesPerRay(256).withAmbientOnlySteps(half);
        LossConfig loss = new LossConfig(
                1.0, new Schedule(0, 10, 1000, half), paper.loss().lambdaVlm(), steps);
        ExportConfig export = new ExportConfig(128, 25f, true, 0.01f, 8, 256, 30, 256);
        return paper.withCamera(paper.camera().withPhases(List.of(64), List.of(4), List.of()))
                .withRender(render)
                .withLoss(loss)
                .withExport(export)
                .withCheckpointEvery(100);
    }
}
