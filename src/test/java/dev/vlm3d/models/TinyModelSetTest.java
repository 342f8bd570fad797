package dev.vlm3d.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm3d.weights.SafetensorsCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyModelSetTest {

    private static final Path QWEN_FIXTURE = Path.of("src/test/resources/fixtures/qwen25vl/tiny/model-fp32");
    private static final Path MVDREAM_FIXTURE = Path.of("src/test/resources/fixtures/mvdream/tiny/model");

    @Test
    void generatesTheFixtureArchitecturesInSnapshotLayoutDeterministically(@TempDir Path a, @TempDir Path b)
            throws Exception {
        TinyModelSet.Folders first = TinyModelSet.ensure(a);
        TinyModelSet.Folders second = TinyModelSet.ensure(b);
        assertSameTensors(QWEN_FIXTURE, first.vlmDir());
        for (String part : new String[] {"unet", "vae", "text_encoder"}) {
            assertSameTensors(
                    MVDREAM_FIXTURE.resolve(part), first.diffusionDir().resolve(part));
        }
        for (String file : new String[] {"tokenizer.json", "chat_template.json", "config.json"}) {
            assertTrue(Files.isRegularFile(first.vlmDir().resolve(file)), file);
        }
        assertTrue(Files.isRegularFile(first.diffusionDir().resolve("tokenizer/merges.txt")));
        assertArrayEquals(
                Files.readAllBytes(first.vlmDir().resolve("model.safetensors")),
                Files.readAllBytes(second.vlmDir().resolve("model.safetensors")),
                "same seed, same weights");
        assertArrayEquals(
                Files.readAllBytes(first.diffusionDir().resolve("unet/diffusion_pytorch_model.safetensors")),
                Files.readAllBytes(second.diffusionDir().resolve("unet/diffusion_pytorch_model.safetensors")));
        // a second call reuses the cache instead of regenerating
        long stamp = Files.getLastModifiedTime(first.vlmDir().resolve("model.safetensors"))
                .toMillis();
        TinyModelSet.ensure(a);
        assertEquals(
                stamp,
                Files.getLastModifiedTime(first.vlmDir().resolve("model.safetensors"))
                        .toMillis());
    }

    private static void assertSameTensors(Path fixture, Path generated) {
        try (var ref = SafetensorsCheckpoint.open(fixture);
                var gen = SafetensorsCheckpoint.open(generated)) {
            assertEquals(ref.names(), gen.names(), generated.toString());
            for (String name : ref.names()) {
                assertArrayEquals(ref.info(name).shape(), gen.info(name).shape(), name);
                float[] values = gen.loadFloats(name);
                for (float v : values) {
                    assertTrue(Float.isFinite(v), name);
                }
            }
        }
    }

    @Test
    void normScalesStartNearOneAndMatricesScaleWithFanIn() {
        float[] norm = TinyModelSet.initialValues("model.norm.weight", new long[] {4096});
        float[] matrix = TinyModelSet.initialValues("model.layers.0.mlp.up_proj.weight", new long[] {64, 400});
        assertEquals(1.0, mean(norm), 0.01);
        assertEquals(1.0 / 400, variance(matrix), 0.1 / 400);
    }

    private static double mean(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static double variance(float[] v) {
        double m = mean(v);
        double s = 0;
        for (float x : v) {
            s += (x - m) * (x - m);
        }
        return s / v.length;
    }
}
