package dev.vlm3d.weights;

import com.google.gson.Gson;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes float tensors as a safetensors file (F32, F16 or BF16 storage). Used for generated model sets and
 * engine checkpoints; the file is written to a temporary sibling and moved into place so a crash never leaves a
 * half-written file under the final name.
 */
public final class SafetensorsWriter {

    /** One tensor to write: its name, shape and values in row-major order. */
    public record Tensor(String name, long[] shape, float[] values) {}

    private SafetensorsWriter() {}

    public static void write(Path file, List<Tensor> tensors, String dtype, Map<String, String> metadata)
            throws IOException {
        int bytesPer = SafetensorsCheckpoint.bytesPerElement(dtype);
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            header.put("__metadata__", metadata);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            long n = 1;
            for (long d : t.shape()) {
                n *= d;
            }
            if (n != t.values().length) {
                throw new IllegalArgumentException(
                        "tensor " + t.name() + " has " + t.values().length + " values for shape of " + n);
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", dtype);
            entry.put("shape", t.shape());
            entry.put("data_offsets", new long[] {offset, offset + n * bytesPer});
            header.put(t.name(), entry);
            offset += n * bytesPer;
        }
        byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        // pad the header with spaces to 8 bytes so the data section is aligned, as the reference writer does
        int padded = (json.length + 7) / 8 * 8;
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            ByteBuffer len =
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(json);
            for (int i = json.length; i < padded; i++) {
                out.write(' ');
            }
            for (Tensor t : tensors) {
                out.write(encode(t.values(), dtype));
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] encode(float[] values, String dtype) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * SafetensorsCheckpoint.bytesPerElement(dtype))
                .order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case "F32" -> {
                for (float v : values) {
                    buf.putFloat(v);
                }
            }
            case "F16" -> {
                for (float v : values) {
                    buf.putShort(HalfFloat.fromFloat(v));
                }
            }
            case "BF16" -> {
                for (float v : values) {
                    buf.putShort(toBf16(v));
                }
            }
            default -> throw new IllegalArgumentException("cannot write dtype " + dtype);
        }
        return buf.array();
    }

    /** Round-to-nearest-even truncation of a float to bfloat16 (NaN stays NaN). */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
