package dev.vlm3d.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import dev.vlm3d.engine.field.Parameter;
import dev.vlm3d.engine.render.RenderConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Resume is exact across sampled occupancy refreshes: with a 4-step warm-up and a refresh every 4 steps, the
 * checkpoint at step 6 holds a grid after a sampled refresh, and steps 8 and 12 draw cells again after the resume.
 */
class OccupancyResumeTest {

    private static final int STEPS = 14;
    private static final int STOP = 6;

    @Test
    void resumedRunMatchesUninterruptedRunWithSampledRefreshes() throws Exception {
        RunConfig tiny = RunConfig.tiny(STEPS);
        RenderConfig r = tiny.render();
        RenderConfig render = new RenderConfig(
                r.samplesPerRay(),
                r.occupancyResolution(),
                4,
                r.occupancyDecay(),
                r.occupancyThreshold(),
                r.earlyStopEps(),
                r.backgroundRandomProb(),
                r.ambientOnlySteps(),
                r.albedoProb(),
                r.texturelessProb(),
                r.chunkRays(),
                4);
        RunConfig config = tiny.withRender(render)
                .withCheckpointEvery(STOP)
                .withSeed(11)
                .withLoss(new LossConfig(1.0, new Schedule(0, 0.1, 10, STEPS), Schedule.constant(0), 0));
        List<float[]> uninterrupted;
        float[] uninterruptedGrid;
        try (Vlm3dRun run = new Vlm3dRun(config, new SphereTargetGuidance(TestConfigs.FOVY), null, Device.cpu())) {
            run.run(RunHooks.none());
            uninterrupted = snapshot(run);
            uninterruptedGrid = run.occupancyGrid().occupancyValues();
        }

        ByteArrayOutputStream checkpoint = new ByteArrayOutputStream();
        AtomicInteger saves = new AtomicInteger();
        try (Vlm3dRun first = new Vlm3dRun(config, new SphereTargetGuidance(TestConfigs.FOVY), null, Device.cpu())) {
            first.run(new RunHooks(
                    RunListener.NONE,
                    () -> saves.get() > 0 ? RunHooks.Stop.CANCEL : RunHooks.Stop.CONTINUE,
                    (step, writer) -> {
                        writer.writeTo(checkpoint);
                        saves.incrementAndGet();
                    }));
            assertEquals(STOP, first.currentStep());
        }
        try (Vlm3dRun resumed = new Vlm3dRun(config, new SphereTargetGuidance(TestConfigs.FOVY), null, Device.cpu())) {
            resumed.restoreCheckpoint(new ByteArrayInputStream(checkpoint.toByteArray()));
            assertEquals(RunOutcome.COMPLETED, resumed.run(RunHooks.none()));
            assertArrayEquals(uninterruptedGrid, resumed.occupancyGrid().occupancyValues(), 0f, "occupancy grid");
            List<float[]> after = snapshot(resumed);
            for (int i = 0; i < after.size(); i++) {
                assertArrayEquals(uninterrupted.get(i), after.get(i), 0f, "parameter " + i);
            }
        }
    }

    private static List<float[]> snapshot(Vlm3dRun run) {
        List<float[]> out = new ArrayList<>();
        for (Parameter p : run.parameters()) {
            out.add(p.array().toFloatArray());
        }
        return out;
    }
}
