package dev.vlm3d.engine;

import dev.vlm3d.engine.field.FieldConfig;
import dev.vlm3d.engine.render.CameraConfig;
import dev.vlm3d.engine.render.RenderConfig;
import java.util.List;

/**
 * Everything that defines one optimization run apart from the prompt-bound guidance and reward terms.
 *
 * @param seed             drives every random draw; a step's randomness is a function of (seed, step)
 * @param maxSteps         optimizer steps
 * @param checkpointEvery  hand a checkpoint to the sink every this many steps (0 = never)
 */
public record RunConfig(
        long seed,
        int maxSteps,
        int checkpointEvery,
        FieldConfig field,
        CameraConfig camera,
        RenderConfig render,
        OptimizerConfig optimizer,
        LossConfig loss,
        ExportConfig export) {

    /**
     * The VLM3D run of the paper: MVDream-threestudio's shading config plus the reward, 10,000 steps (the paper's
     * annealing horizon), see docs/paper-vs-code.md.
     */
    public static RunConfig paper() {
        return new RunConfig(
                0,
                10000,
                1000,
                FieldConfig.paper(),
                CameraConfig.paper(),
                RenderConfig.paper(),
                OptimizerConfig.paper(),
                LossConfig.paper(),
                ExportConfig.paper());
    }

    /**
     * The released VLM3D config: the same run for 20,000 steps, with the reward only below step 10,000 (its guidance
     * stops calling the VLM after 10,000 calls), so steps 10,000 onwards are SDS only.
     */
    public static RunConfig paperReleased() {
        return paper().withMaxSteps(20000).withLoss(LossConfig.paper());
    }

    /**
     * A CPU-sized configuration for tests and smoke runs: tiny field, 32² renders of one 4-view group, 64 samples per
     * ray, the paper's schedules compressed to {@code steps}.
     */
    public static RunConfig tiny(int steps) {
        int half = Math.max(1, steps / 2);
        CameraConfig camera = new CameraConfig(
                List.of(32),
                List.of(4),
                List.of(),
                4,
                0.8f,
                1.0f,
                true,
                30f,
                45f,
                0f,
                30f,
                0.8f,
                1.5f,
                1.0f,
                15f,
                3.0f,
                40f);
        RenderConfig render = new RenderConfig(64, 16, 8, 0.95f, 0.01f, 1e-4f, 0.5f, half, 0.25f, 0.5f, 4096);
        LossConfig loss = new LossConfig(1.0, new Schedule(0, 10, 1000, half), new Schedule(0, 300, 1, steps), steps);
        // a few hundred steps do not sharpen the density much beyond the blob; at σ = 2 the level set sits on the
        // rendered surface (reconstruction test), where the paper's 25 would cut well inside it
        ExportConfig export = new ExportConfig(48, 2f, true, 0.01f, 4, 64, 8, 48);
        return new RunConfig(0, steps, 0, FieldConfig.tiny(), camera, render, OptimizerConfig.paper(), loss, export);
    }

    public RunConfig withSeed(long newSeed) {
        return new RunConfig(newSeed, maxSteps, checkpointEvery, field, camera, render, optimizer, loss, export);
    }

    public RunConfig withMaxSteps(int steps) {
        return new RunConfig(seed, steps, checkpointEvery, field, camera, render, optimizer, loss, export);
    }

    public RunConfig withCheckpointEvery(int every) {
        return new RunConfig(seed, maxSteps, every, field, camera, render, optimizer, loss, export);
    }

    public RunConfig withCamera(CameraConfig c) {
        return new RunConfig(seed, maxSteps, checkpointEvery, field, c, render, optimizer, loss, export);
    }

    public RunConfig withRender(RenderConfig r) {
        return new RunConfig(seed, maxSteps, checkpointEvery, field, camera, r, optimizer, loss, export);
    }

    public RunConfig withLoss(LossConfig l) {
        return new RunConfig(seed, maxSteps, checkpointEvery, field, camera, render, optimizer, l, export);
    }

    public RunConfig withExport(ExportConfig e) {
        return new RunConfig(seed, maxSteps, checkpointEvery, field, camera, render, optimizer, loss, e);
    }

    public RunConfig withOptimizer(OptimizerConfig o) {
        return new RunConfig(seed, maxSteps, checkpointEvery, field, camera, render, o, loss, export);
    }
}
