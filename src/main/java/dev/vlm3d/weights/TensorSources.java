package dev.vlm3d.weights;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Opens the tensors of a model folder. Normally the safetensors in it; a folder registered with {@link #override}
 * gets its tensors from the registered source instead, so the regular loaders (config parsing, name mapping, dtype
 * conversion) build a network whose weights never were files: the real-size step benchmark
 * (src/test/java/dev/vlm3d/bench/RealSizeStepBenchmark.java) generates 8 B random parameters directly on the GPU
 * this way.
 */
public final class TensorSources {

    private static final Map<Path, Supplier<? extends TensorSource>> OVERRIDES = new ConcurrentHashMap<>();

    private TensorSources() {}

    /** The tensors of {@code folderOrFile}: its registered override, else its safetensors. */
    public static TensorSource open(Path folderOrFile) {
        Supplier<? extends TensorSource> override = OVERRIDES.get(key(folderOrFile));
        return override != null ? override.get() : SafetensorsCheckpoint.open(folderOrFile);
    }

    /**
     * Serves {@code folder}'s tensors from {@code source} until the returned handle is closed.
     *
     * @throws IllegalStateException if the folder already has an override
     */
    public static Registration override(Path folder, Supplier<? extends TensorSource> source) {
        Path key = key(folder);
        if (OVERRIDES.putIfAbsent(key, source) != null) {
            throw new IllegalStateException(folder + " already has a tensor source override");
        }
        return () -> OVERRIDES.remove(key, source);
    }

    private static Path key(Path p) {
        return p.toAbsolutePath().normalize();
    }

    /** Removes an override. */
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
