package dev.vlm3d.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {

    @Test
    void roundTripsF32ExactlyAndF16Bf16ToTheirNearestValues(@TempDir Path dir) throws Exception {
        SplittableRandom random = new SplittableRandom(3);
        float[] values = new float[5000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(-6, 5)));
        }
        values[0] = 0f;
        values[1] = -0f;
        values[2] = 65504f;
        values[3] = 1e-7f; // fp16 subnormal
        var tensor = new SafetensorsWriter.Tensor("x", new long[] {50, 100}, values);
        for (String dtype : new String[] {"F32", "F16", "BF16"}) {
            Path file = dir.resolve(dtype + ".safetensors");
            SafetensorsWriter.write(file, List.of(tensor), dtype, Map.of("k", "v"));
            try (var ckpt = SafetensorsCheckpoint.open(file)) {
                assertEquals(dtype, ckpt.info("x").dtype());
                assertArrayEquals(new long[] {50, 100}, ckpt.info("x").shape());
                float[] back = ckpt.loadFloats("x");
                for (int i = 0; i < values.length; i++) {
                    float expect = switch (dtype) {
                        case "F32" -> values[i];
                        case "F16" -> nearestHalf(values[i]);
                        default -> Float.intBitsToFloat(SafetensorsWriter.toBf16(values[i]) << 16);
                    };
                    assertEquals(expect, back[i], 0f, dtype + " at " + i + " for " + values[i]);
                }
            }
        }
    }

    /** The representable binary16 value closest to v (ties to even), found by search over all 65536 codes. */
    private static float nearestHalf(float v) {
        float best = Float.NaN;
        double bestErr = Double.POSITIVE_INFINITY;
        int bestCode = 0;
        for (int code = 0; code < 0x10000; code++) {
            float h = HalfFloat.toFloat((short) code);
            if (!Float.isFinite(h)) {
                continue;
            }
            double err = Math.abs((double) h - v);
            if (err < bestErr || (err == bestErr && (code & 1) == 0 && (bestCode & 1) == 1)) {
                best = h;
                bestErr = err;
                bestCode = code;
            }
        }
        if (Math.abs(v) >= 65520f) {
            return Math.copySign(Float.POSITIVE_INFINITY, v);
        }
        return best == 0f ? Math.copySign(0f, v) : best;
    }
}
