package dev.vlm3d.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.vlm3d.engine.render.CameraBatch;
import dev.vlm3d.engine.render.VolumeRenderer;
import org.junit.jupiter.api.Test;

/**
 * Pass 2 leaves nothing per chunk in the step's scope: whatever a chunk makes is closed with the chunk, so the step's
 * live memory does not grow with the number of chunks (at the paper's 4 × 256² views, 64 chunks of 4,096 rays each
 * once kept an int64 copy of their sample mask until the step ended, 1.1 GB in all).
 */
class GradientPassLifetimeTest {

    @Test
    void arraysLeftInTheStepScopeDoNotGrowWithTheChunkCount() throws Exception {
        RunConfig base = TestConfigs.small(4, 12, 24);
        long few = arraysLeftByPassTwo(base.withRender(base.render().withChunkRays(288)));
        long many = arraysLeftByPassTwo(base.withRender(base.render().withChunkRays(18)));
        // 4 × 12² = 576 rays: 2 chunks against 32
        assertThat(many).as("arrays left by pass 2 with 32 chunks").isEqualTo(few);
    }

    private static long arraysLeftByPassTwo(RunConfig config) throws Exception {
        try (Vlm3dRun run = new Vlm3dRun(config, null, new RednessReward(), Device.cpu());
                NDScope step = new NDScope();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            Vlm3dRun.StepPlan plan = run.plan(0);
            CameraBatch batch = plan.cameras();
            VolumeRenderer.ImagePass images = run.renderer()
                    .renderImages(
                            run.field(),
                            run.background(),
                            run.occupancyGrid(),
                            plan.rays(),
                            new int[] {batch.size(), batch.height(), batch.width()},
                            plan.options());
            NDArray rgbGradient = images.rgb().onesLike();
            int before = run.managedArrays();
            run.renderer()
                    .backpropagate(
                            run.field(),
                            run.background(),
                            run.occupancyGrid(),
                            plan.rays(),
                            plan.options(),
                            images,
                            rgbGradient,
                            plan.lambdaOrient(),
                            collector);
            return run.managedArrays() - before;
        }
    }
}
