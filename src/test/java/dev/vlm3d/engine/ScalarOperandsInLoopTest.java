package dev.vlm3d.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.vlm3d.engine.field.Parameter;
import dev.vlm3d.engine.reward.Reward;
import dev.vlm3d.engine.reward.RewardResult;
import dev.vlm3d.nn.Scalars;
import dev.vlm3d.pipeline.CpuThreads;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Guards the loop against DJL's CPU pitfall (see {@link Scalars}): a Java-number operand of mul/div/pow/maximum is a
 * zero-copy buffer that DJL frees right after the op while autograd still needs it for the backward pass. Here the
 * reward term collects garbage and refills freed direct memory with NaNs after the render and the weighted guidance
 * loss exist and before the backward pass; the parameters after a few steps must equal those of an undisturbed run
 * bit for bit (one libtorch thread: several threads reorder float sums, and AdamW turns the sign of a near-zero
 * gradient into a full-size update). With {@code g.loss().mul((float) λ)} in the loop or {@code maximum(0)}/{@code div(eps)} in the
 * renderer and normals, the gradients read NaN and the parameters differ.
 */
class ScalarOperandsInLoopTest {

    private static final int STEPS = 4;

    @Test
    void parametersDoNotDependOnGarbageCollectionBetweenForwardAndBackward() throws Exception {
        // shaded steps (normals, diffuse shading) from step 2 on, orientation loss on, guidance weight ≠ 1
        RunConfig config = RunConfig.tiny(STEPS)
                .withLoss(new LossConfig(0.7, new Schedule(0, 10, 100, STEPS), Schedule.constant(0.5), STEPS));
        Engine.getEngine("PyTorch"); // loads libtorch before its thread count is read
        int threads = JniUtils.getNumThreads();
        List<float[]> quiet;
        List<float[]> churned;
        CpuThreads.apply(1);
        try {
            quiet = run(config, false);
            churned = run(config, true);
        } finally {
            JniUtils.setNumThreads(threads);
        }
        for (int i = 0; i < quiet.size(); i++) {
            for (float v : churned.get(i)) {
                assertTrue(Float.isFinite(v), "parameter " + i + " became non-finite");
            }
            assertArrayEquals(quiet.get(i), churned.get(i), 0f, "parameter " + i);
        }
    }

    private static List<float[]> run(RunConfig config, boolean churn) throws InterruptedException {
        try (Vlm3dRun run =
                new Vlm3dRun(config, new SphereTargetGuidance(TestConfigs.FOVY), new MeanRed(churn), Device.cpu())) {
            run.run(RunHooks.none());
            List<float[]> out = new ArrayList<>();
            for (Parameter p : run.parameters()) {
                out.add(p.array().toFloatArray());
            }
            return out;
        }
    }

    /** Mean red channel, built from tensor ops only; optionally churns direct memory after computing. */
    private static final class MeanRed implements Reward {
        private final boolean churn;

        MeanRed(boolean churn) {
            this.churn = churn;
        }

        @Override
        public RewardResult compute(NDArray rgb) {
            NDArray reward = rgb.get("..., 0").mean();
            float value = reward.getFloat();
            if (churn) {
                churnDirectMemory();
            }
            return new RewardResult(reward, value, Map.of());
        }

        @Override
        public void close() {}
    }

    /** Lets the GC free unreferenced direct buffers and refills freed native memory with NaNs. */
    static void churnDirectMemory() {
        for (int round = 0; round < 2; round++) {
            System.gc();
            List<ByteBuffer> junk = new ArrayList<>();
            for (int i = 0; i < 4000; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
                for (int j = 0; j < 16; j++) {
                    b.putFloat(4 * j, Float.NaN);
                }
                junk.add(b);
            }
            junk.clear();
        }
    }
}
