package dev.vlm3d.engine.guidance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.vlm3d.models.mvdream.MultiViewUNet;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The FLOAT16 option for the frozen UNet (meant for a GPU) keeps its dtype plumbing right. The fixture README says
 * fp16 paths meet a relative tolerance of about 1e-2 of the tensor's scale, not the fp32 tolerances.
 */
class HalfPrecisionTest {

    /** The whole step with fp16 text encoder and UNet: runs, and the (fp32) encoder path yields a finite gradient. */
    @Test
    void halfPrecisionGuidanceStepRuns() {
        Path set = MvDreamFixtureSets.all().get(0);
        try (GoldenCase c = new GoldenCase(set.resolve("cases/sds_step_g1"));
                NDManager m = NDManager.newBaseManager();
                MvDreamGuidanceModel model = MvDreamGuidanceModel.load(
                        set.resolve("model"),
                        Device.cpu(),
                        SdsOptions.mvdream()
                                .withFrozenDataType(DataType.FLOAT16)
                                .withImageSize(c.params().get("image_size").getAsInt()));
                SdsGuidance guidance =
                        model.forPrompt("a DSLR photo of a corgi wearing a beret", null, SdsNoise.seeded(5));
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            assertEquals(DataType.FLOAT16, guidance.promptEmbedding().getDataType());
            NDArray rgb = c.input("rgb", m);
            rgb.setRequiresGradient(true);
            GuidanceResult r = guidance.compute(new GuidanceInput(rgb, c.input("c2w", m), null, null, null, 0, 1));
            collector.backward(r.loss());
            assertTrue(Double.isFinite(r.lossValue()) && r.lossValue() > 0);
            double norm = 0;
            for (float v : rgb.getGradient().toFloatArray()) {
                assertTrue(Float.isFinite(v));
                norm += v * v;
            }
            assertTrue(norm > 0);
        }
    }

    @Test
    void halfPrecisionUNetFollowsTheFloat32Golden() {
        Path set = MvDreamFixtureSets.all().get(0);
        try (GoldenCase c = new GoldenCase(set.resolve("cases/unet_forward_g1"));
                NDManager m = NDManager.newBaseManager();
                MultiViewUNet unet = MultiViewUNet.load(set.resolve("model/unet"), m, DataType.FLOAT16, 64)) {
            assertEquals(DataType.FLOAT16, unet.dataType());
            NDArray eps = unet.forward(
                    c.input("x", m).toType(DataType.FLOAT16, false),
                    c.inputs.load("t", m, DataType.INT64),
                    c.input("context", m).toType(DataType.FLOAT16, false),
                    c.input("camera", m),
                    (int) c.inputs.loadLongs("num_frames")[0],
                    null);
            assertEquals(DataType.FLOAT16, eps.getDataType());
            float[] got = eps.toType(DataType.FLOAT32, false).toFloatArray();
            float[] expected = c.expected.loadFloats("eps");
            double scale = 0;
            double worst = 0;
            for (int i = 0; i < got.length; i++) {
                scale = Math.max(scale, Math.abs(expected[i]));
                worst = Math.max(worst, Math.abs(got[i] - expected[i]));
            }
            assertTrue(worst <= 1e-2 * scale, "fp16 UNet off by " + worst + " at scale " + scale);
        }
    }
}
