package dev.vlm3d.models;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The runnable default: a tiny, randomly initialised Qwen2.5-VL and MVDream in exactly the Hugging Face snapshot
 * layouts the real checkpoints use, written once into a cache folder and then loaded through the normal loaders.
 *
 * <p>Assets made with these models show that the pipeline runs end to end, not what real weights produce. The
 * architectures, configs and tokenizers are the ones of the golden test fixtures (bundled under
 * {@code tiny-models/}); only the weights are generated, deterministically from {@link #SEED}, so every machine
 * gets the same models.
 */
public final class TinyModelSet {

    /** Bump when the bundled configs or the initialisation change, so stale caches are regenerated. */
    public static final String VERSION = "1";

    public static final long SEED = 20261121L;

    private static final String RESOURCE_ROOT = "tiny-models/";
    private static final String[] QWEN_FILES = {
        "config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.json", "preprocessor_config.json"
    };
    private static final String[] MVDREAM_FILES = {
        "model_index.json",
        "scheduler/scheduler_config.json",
        "text_encoder/config.json",
        "tokenizer/vocab.json",
        "tokenizer/merges.txt",
        "tokenizer/tokenizer_config.json",
        "tokenizer/special_tokens_map.json",
        "unet/config.json",
        "vae/config.json"
    };

    /** Where the generated snapshot folders are. */
    public record Folders(Path vlmDir, Path diffusionDir) {}

    private TinyModelSet() {}

    /** Returns the tiny model folders under {@code cacheDir}, generating them on first use. Safe across processes. */
    public static Folders ensure(Path cacheDir) {
        Path root = cacheDir.resolve("tiny-models-v" + VERSION);
        Folders folders = new Folders(root.resolve("qwen25vl"), root.resolve("mvdream"));
        if (Files.isRegularFile(root.resolve("COMPLETE"))) {
            return folders;
        }
        try {
            Files.createDirectories(cacheDir);
            Path staging = Files.createTempDirectory(cacheDir, "tiny-models-staging-");
            try {
                generate(staging);
                Files.writeString(staging.resolve("COMPLETE"), "seed=" + SEED + "\n");
                try {
                    Files.move(staging, root, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                    // another process finished first; its folder is identical (same seed)
                } catch (IOException e) {
                    if (!Files.isRegularFile(root.resolve("COMPLETE"))) {
                        throw e;
                    }
                }
            } finally {
                deleteRecursively(staging);
            }
            return folders;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot generate the tiny model set in " + cacheDir, e);
        }
    }

    private static void generate(Path root) throws IOException {
        Path qwen = root.resolve("qwen25vl");
        copyResources("qwen25vl/", QWEN_FILES, qwen);
        writeRandomWeights("qwen25vl/tensors.json", qwen.resolve("model.safetensors"), "F32");
        Path mv = root.resolve("mvdream");
        copyResources("mvdream/", MVDREAM_FILES, mv);
        // the diffusers port ships fp16 weights: store them the same way so the real load path is exercised
        writeRandomWeights("mvdream/unet/tensors.json", mv.resolve("unet/diffusion_pytorch_model.safetensors"), "F16");
        writeRandomWeights("mvdream/vae/tensors.json", mv.resolve("vae/diffusion_pytorch_model.safetensors"), "F16");
        writeRandomWeights("mvdream/text_encoder/tensors.json", mv.resolve("text_encoder/model.safetensors"), "F16");
    }

    private static void copyResources(String prefix, String[] names, Path target) throws IOException {
        for (String name : names) {
            Path out = target.resolve(name);
            Files.createDirectories(out.getParent());
            try (InputStream in = resource(prefix + name)) {
                Files.copy(in, out);
            }
        }
    }

    private static void writeRandomWeights(String manifest, Path out, String dtype) throws IOException {
        JsonObject shapes;
        try (InputStream in = resource(manifest)) {
            shapes = JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .getAsJsonObject();
        }
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : shapes.entrySet()) {
            var dims = e.getValue().getAsJsonArray();
            long[] shape = new long[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = dims.get(i).getAsLong();
            }
            tensors.add(new SafetensorsWriter.Tensor(e.getKey(), shape, initialValues(e.getKey(), shape)));
        }
        SafetensorsWriter.write(out, tensors, dtype, Map.of("format", "pt", "generator", "vlm3d TinyModelSet"));
    }

    /**
     * Initialisation that keeps activations O(1) through the tiny networks (the fixtures' scheme): matrices
     * N(0, 1/fan_in), embeddings N(0, 0.3²), norm scales 1 + N(0, 0.1²), biases and norm shifts N(0, 0.05²).
     */
    static float[] initialValues(String name, long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] values = new float[Math.toIntExact(n)];
        SplittableRandom random = new SplittableRandom(SEED ^ (name.hashCode() * 0x9E3779B97F4A7C15L));
        boolean isNorm = name.contains("norm") || name.contains("ln_") || name.contains("layernorm");
        double mean;
        double std;
        if (shape.length == 1 && name.endsWith("weight") && isNorm) {
            mean = 1;
            std = 0.1;
        } else if (shape.length == 1) {
            mean = 0;
            std = 0.05;
        } else if (name.contains("embed")
                && !name.contains("patch_embed")
                && shape.length == 2
                && !name.contains("time_embed")
                && !name.contains("camera_embed")) {
            mean = 0;
            std = 0.3;
        } else {
            long fanIn = n / shape[0];
            mean = 0;
            std = 1.0 / Math.sqrt(fanIn);
        }
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (mean + std * random.nextGaussian());
        }
        return values;
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = TinyModelSet.class.getClassLoader().getResourceAsStream(RESOURCE_ROOT + name);
        if (in == null) {
            throw new IOException("missing bundled resource " + RESOURCE_ROOT + name);
        }
        return in;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
