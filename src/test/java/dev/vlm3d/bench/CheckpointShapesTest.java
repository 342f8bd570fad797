package dev.vlm3d.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The names and shapes derived from a config must be exactly those of a real checkpoint: checked against the
 * manifests the tiny model set was generated from (themselves taken from the Python reference checkpoints, see
 * src/test/resources/fixtures/*&#47;tiny/README.md), and by parameter count against the real checkpoints' sizes.
 */
class CheckpointShapesTest {

    @Test
    void qwenShapesFromTheTinyConfigAreTheTinyCheckpoints() throws IOException {
        assertSameTensors(
                CheckpointShapes.qwen25vl(json("tiny-models/qwen25vl/config.json")),
                manifest("tiny-models/qwen25vl/tensors.json", n -> true));
    }

    @Test
    void unetShapesFromTheTinyConfigAreTheTinyCheckpoint() throws IOException {
        assertSameTensors(
                CheckpointShapes.mvdreamUnet(json("tiny-models/mvdream/unet/config.json")),
                manifest("tiny-models/mvdream/unet/tensors.json", n -> true));
    }

    @Test
    void vaeEncoderShapesFromTheTinyConfigAreTheTinyCheckpointsEncoder() throws IOException {
        assertSameTensors(
                CheckpointShapes.vaeEncoder(json("tiny-models/mvdream/vae/config.json")),
                manifest(
                        "tiny-models/mvdream/vae/tensors.json",
                        n -> n.startsWith("encoder.") || n.startsWith("quant_conv.")));
    }

    @Test
    void clipShapesFromTheTinyConfigAreTheTinyCheckpoint() throws IOException {
        assertSameTensors(
                CheckpointShapes.clipText(json("tiny-models/mvdream/text_encoder/config.json")),
                manifest("tiny-models/mvdream/text_encoder/tensors.json", n -> !n.endsWith("position_ids")));
    }

    @Test
    void realConfigsGiveTheRealParameterCounts() throws IOException {
        // Qwen2.5-VL-7B-Instruct: 8.29 B parameters (README, GPU section; docs/vlm-reward.md)
        long qwen = CheckpointShapes.parameters(
                CheckpointShapes.qwen25vl(json("configs/qwen2.5-vl-7b-instruct.config.json")));
        assertThat(qwen).isBetween(8_285_000_000L, 8_295_000_000L);
        // mvdream-sd2.1-diffusers stores fp16: UNet 1.74 GB, text encoder 681 MB (the sizes of the published checkpoint
        // files)
        long unet = CheckpointShapes.parameters(
                CheckpointShapes.mvdreamUnet(json("configs/mvdream-sd2.1-diffusers/unet/config.json")));
        assertThat(unet * 2 / 1e9).isBetween(1.72, 1.76);
        long clip = CheckpointShapes.parameters(
                CheckpointShapes.clipText(json("configs/mvdream-sd2.1-diffusers/text_encoder/config.json")));
        assertThat(clip * 2 / 1e6).isBetween(675.0, 687.0);
        // encoder + quant_conv of the SD 2.1 VAE: 34.2 M of its 83.7 M parameters (the rest is the decoder)
        long vae = CheckpointShapes.parameters(
                CheckpointShapes.vaeEncoder(json("configs/mvdream-sd2.1-diffusers/vae/config.json")));
        assertThat(vae).isBetween(34_000_000L, 34_400_000L);
    }

    private static void assertSameTensors(Map<String, long[]> derived, Map<String, long[]> expected) {
        assertThat(new TreeMap<>(derived).keySet()).containsExactlyElementsOf(new TreeMap<>(expected).keySet());
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            assertThat(derived.get(e.getKey()))
                    .as(e.getKey() + " " + Arrays.toString(e.getValue()))
                    .containsExactly(e.getValue());
        }
    }

    private static Map<String, long[]> manifest(String resource, Predicate<String> keep) throws IOException {
        Map<String, long[]> out = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : json(resource).entrySet()) {
            if (!keep.test(e.getKey())) {
                continue;
            }
            var a = e.getValue().getAsJsonArray();
            long[] shape = new long[a.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = a.get(i).getAsLong();
            }
            out.put(e.getKey(), shape);
        }
        return out;
    }

    static JsonObject json(String resource) throws IOException {
        try (InputStream in = CheckpointShapesTest.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing resource " + resource);
            }
            return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .getAsJsonObject();
        }
    }
}
