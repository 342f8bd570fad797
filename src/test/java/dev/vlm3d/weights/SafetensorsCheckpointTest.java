package dev.vlm3d.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsCheckpointTest {

    private static final Path QWEN = Path.of("src/test/resources/fixtures/qwen25vl/tiny");

    @Test
    void shardedBf16AndFp16WidenToTheFp32WeightsRoundedToTheirFormat() {
        try (var fp32 = SafetensorsCheckpoint.open(QWEN.resolve("model-fp32"));
                var bf16 = SafetensorsCheckpoint.open(QWEN.resolve("model-bf16-sharded"));
                var fp16 = SafetensorsCheckpoint.open(QWEN.resolve("model-fp16-v5names"));
                NDManager manager = NDManager.newBaseManager()) {
            assertEquals(fp32.names(), bf16.names(), "the sharded checkpoint holds the same tensors");
            assertTrue(bf16.info(bf16.names().iterator().next()).dtype().equals("BF16"));
            for (String name : fp32.names()) {
                float[] ref = fp32.loadFloats(name);
                float[] b = bf16.loadFloats(name);
                for (int i = 0; i < ref.length; i++) {
                    // bf16 keeps 8 mantissa bits: relative error at most 2^-9 with round-to-nearest-even
                    assertTrue(Math.abs(ref[i] - b[i]) <= Math.abs(ref[i]) * 0x1p-8f + 1e-30f, name);
                }
                String v5 = name.startsWith("visual.")
                        ? "model." + name
                        : name.startsWith("model.")
                                ? "model.language_model." + name.substring("model.".length())
                                : name;
                float[] h = fp16.loadFloats(v5);
                for (int i = 0; i < ref.length; i++) {
                    assertTrue(Math.abs(ref[i] - h[i]) <= Math.abs(ref[i]) * 0x1p-10f + 6e-8f, v5);
                }
                NDArray nd = bf16.load(name, manager, DataType.FLOAT32);
                assertEquals(DataType.FLOAT32, nd.getDataType());
                assertArrayEquals(b, nd.toFloatArray());
                assertArrayEquals(bf16.info(name).shape(), nd.getShape().getShape());
                nd.close();
            }
        }
    }

    @Test
    void halfFloatDecodesSpecialValues() {
        assertEquals(1.0f, HalfFloat.toFloat((short) 0x3C00));
        assertEquals(-2.0f, HalfFloat.toFloat((short) 0xC000));
        assertEquals(65504f, HalfFloat.toFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, HalfFloat.toFloat((short) 0x0001));
        assertTrue(Float.isInfinite(HalfFloat.toFloat((short) 0x7C00)));
        assertTrue(Float.isNaN(HalfFloat.toFloat((short) 0x7E00)));
    }

    @Test
    void missingFilesAndBadHeadersAreClearErrors(@TempDir Path dir) throws Exception {
        var e = assertThrows(WeightsException.class, () -> SafetensorsCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("no .safetensors"));
        Files.write(dir.resolve("bad.safetensors"), new byte[] {(byte) 0xFF, 0, 0, 0, 0, 0, 0, 0, 1});
        assertThrows(WeightsException.class, () -> SafetensorsCheckpoint.open(dir));
    }
}
