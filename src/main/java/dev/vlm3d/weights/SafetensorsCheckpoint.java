package dev.vlm3d.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Read-only view of the safetensors files of a Hugging Face snapshot folder (or a single file).
 *
 * <p>Handles a single {@code model.safetensors}, sharded checkpoints through {@code *.safetensors.index.json}, and
 * folders of loose shards. Tensors are memory-mapped one by one (never a whole-file copy) and widened or narrowed to
 * the requested compute dtype on load, because DJL cannot hold bf16 (the process aborts).
 */
public final class SafetensorsCheckpoint implements TensorSource {

    /** Where one tensor lives: its file, stored dtype, shape and absolute byte range. */
    public record TensorInfo(String name, Path file, String dtype, long[] shape, long begin, long end) {
        public long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private final Map<String, TensorInfo> tensors;
    private final Map<Path, FileChannel> channels = new LinkedHashMap<>();

    private SafetensorsCheckpoint(Map<String, TensorInfo> tensors) {
        this.tensors = tensors;
    }

    /**
     * Opens a folder (index json, a single model file, or every {@code *.safetensors} in it) or one file.
     *
     * @throws WeightsException if nothing readable is there or a header is malformed
     */
    public static SafetensorsCheckpoint open(Path folderOrFile) {
        try {
            List<Path> files = new ArrayList<>();
            if (Files.isRegularFile(folderOrFile)) {
                files.add(folderOrFile);
            } else if (Files.isDirectory(folderOrFile)) {
                Path index = findIndex(folderOrFile);
                if (index != null) {
                    JsonObject map = JsonParser.parseString(Files.readString(index))
                            .getAsJsonObject()
                            .getAsJsonObject("weight_map");
                    Set<String> shardNames = new TreeSet<>();
                    for (Map.Entry<String, JsonElement> e : map.entrySet()) {
                        shardNames.add(e.getValue().getAsString());
                    }
                    for (String s : shardNames) {
                        Path shard = folderOrFile.resolve(s);
                        if (!Files.isRegularFile(shard)) {
                            throw new WeightsException("shard " + s + " listed in " + index.getFileName()
                                    + " is missing from " + folderOrFile);
                        }
                        files.add(shard);
                    }
                } else {
                    try (Stream<Path> list = Files.list(folderOrFile)) {
                        list.filter(p -> p.getFileName().toString().endsWith(".safetensors"))
                                .sorted()
                                .forEach(files::add);
                    }
                }
            }
            if (files.isEmpty()) {
                throw new WeightsException("no .safetensors files found at " + folderOrFile);
            }
            Map<String, TensorInfo> all = new LinkedHashMap<>();
            for (Path f : files) {
                for (TensorInfo t : readHeader(f)) {
                    if (all.put(t.name(), t) != null) {
                        throw new WeightsException("tensor " + t.name() + " appears in more than one shard");
                    }
                }
            }
            return new SafetensorsCheckpoint(all);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + folderOrFile, e);
        }
    }

    private static Path findIndex(Path folder) throws IOException {
        Path standard = folder.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(standard)) {
            return standard;
        }
        try (Stream<Path> list = Files.list(folder)) {
            return list.filter(p -> p.getFileName().toString().endsWith(".safetensors.index.json"))
                    .sorted()
                    .findFirst()
                    .orElse(null);
        }
    }

    private static List<TensorInfo> readHeader(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > 100_000_000L || 8 + headerLen > ch.size()) {
                throw new WeightsException(file + " is not a safetensors file (header length " + headerLen + ")");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8);
            JsonObject json = JsonParser.parseString(new String(header.array(), StandardCharsets.UTF_8))
                    .getAsJsonObject();
            long dataStart = 8 + headerLen;
            List<TensorInfo> out = new ArrayList<>();
            for (Map.Entry<String, JsonElement> e : json.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonObject t = e.getValue().getAsJsonObject();
                var shapeJson = t.getAsJsonArray("shape");
                long[] shape = new long[shapeJson.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shapeJson.get(i).getAsLong();
                }
                var off = t.getAsJsonArray("data_offsets");
                long begin = dataStart + off.get(0).getAsLong();
                long end = dataStart + off.get(1).getAsLong();
                String dtype = t.get("dtype").getAsString();
                TensorInfo info = new TensorInfo(e.getKey(), file, dtype, shape, begin, end);
                long expected = info.numel() * bytesPerElement(dtype);
                if (end - begin != expected || end > ch.size()) {
                    throw new WeightsException("tensor " + e.getKey() + " in " + file + " has " + (end - begin)
                            + " bytes, expected " + expected);
                }
                out.add(info);
            }
            return out;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw new WeightsException("unexpected end of file");
            }
        }
    }

    static int bytesPerElement(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> throw new WeightsException("unsupported safetensors dtype " + dtype);
        };
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new WeightsException("tensor " + name + " not found in checkpoint");
        }
        return t;
    }

    /**
     * Loads one tensor into {@code manager}, converted to {@code computeType} (FLOAT32 or FLOAT16 for floating
     * tensors; integer tensors keep an integer type: INT64 or INT32).
     */
    @Override
    public NDArray load(String name, NDManager manager, DataType computeType) {
        TensorInfo t = info(name);
        Shape shape = new Shape(t.shape());
        DataType stored;
        ByteBuffer raw;
        switch (t.dtype()) {
            case "F32" -> stored = DataType.FLOAT32;
            case "F16" -> stored = DataType.FLOAT16;
            case "F64" -> stored = DataType.FLOAT64;
            case "BF16" -> stored = DataType.FLOAT32; // widened in Java: DJL aborts on bf16
            case "I64" -> stored = DataType.INT64;
            case "I32" -> stored = DataType.INT32;
            case "U8" -> stored = DataType.UINT8;
            case "BOOL" -> stored = DataType.BOOLEAN;
            default -> throw new WeightsException("cannot load tensor " + name + " of dtype " + t.dtype());
        }
        raw = t.dtype().equals("BF16") ? bf16ToFloat32(map(t)) : map(t);
        boolean floating = stored == DataType.FLOAT32 || stored == DataType.FLOAT16 || stored == DataType.FLOAT64;
        DataType target = floating ? computeType : stored;
        // On a GPU, create() copies the bytes to the device. On the CPU it wraps them zero-copy, which must not
        // outlive this call: the mapping is read-only (an in-place op would crash) and a Java buffer freed while
        // autograd still reads it corrupts gradients (see nn.Scalars). So CPU tensors are copied into memory that
        // libtorch owns, and the mapping is never charged to the JVM's direct-memory limit beyond one tensor.
        NDArray view = manager.create(raw, shape, stored);
        if (manager.getDevice().isGpu()) {
            if (view.getDataType() == target) {
                return view;
            }
            NDArray converted = view.toType(target, false);
            view.close();
            return converted;
        }
        NDArray owned = view.getDataType() == target ? view.duplicate() : view.toType(target, true);
        view.close();
        return owned;
    }

    /** Loads a tensor as float32 Java array (small tensors, e.g. golden fixtures). */
    public float[] loadFloats(String name) {
        TensorInfo t = info(name);
        ByteBuffer raw = map(t);
        int n = Math.toIntExact(t.numel());
        float[] out = new float[n];
        switch (t.dtype()) {
            case "F32" -> raw.asFloatBuffer().get(out);
            case "F16" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = HalfFloat.toFloat(raw.getShort(2 * i));
                }
            }
            case "BF16" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((raw.getShort(2 * i) & 0xFFFF) << 16);
                }
            }
            case "F64" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) raw.getDouble(8 * i);
                }
            }
            default -> throw new WeightsException("tensor " + name + " of dtype " + t.dtype() + " is not floating");
        }
        return out;
    }

    /** Loads an integer tensor (I64/I32) as a long array. */
    public long[] loadLongs(String name) {
        TensorInfo t = info(name);
        ByteBuffer raw = map(t);
        int n = Math.toIntExact(t.numel());
        long[] out = new long[n];
        switch (t.dtype()) {
            case "I64" -> raw.asLongBuffer().get(out);
            case "I32" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = raw.getInt(4 * i);
                }
            }
            default -> throw new WeightsException("tensor " + name + " of dtype " + t.dtype() + " is not integer");
        }
        return out;
    }

    private synchronized ByteBuffer map(TensorInfo t) {
        try {
            FileChannel ch = channels.get(t.file());
            if (ch == null) {
                ch = FileChannel.open(t.file(), StandardOpenOption.READ);
                channels.put(t.file(), ch);
            }
            // Model folders are often read-only volumes, so the mapping is READ_ONLY; slice() because DJL uses the
            // buffer's base address and ignores position().
            return ch.map(FileChannel.MapMode.READ_ONLY, t.begin(), t.end() - t.begin())
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map tensor " + t.name() + " from " + t.file(), e);
        }
    }

    private static ByteBuffer bf16ToFloat32(ByteBuffer raw) {
        int n = raw.remaining() / 2;
        ByteBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            out.putInt(4 * i, (raw.getShort(2 * i) & 0xFFFF) << 16);
        }
        return out;
    }

    @Override
    public synchronized void close() {
        for (FileChannel ch : channels.values()) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a read-only channel cannot lose data
            }
        }
        channels.clear();
    }
}
