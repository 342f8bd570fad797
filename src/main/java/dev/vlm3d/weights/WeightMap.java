package dev.vlm3d.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The frozen weights of one network, loaded from a checkpoint into a dedicated manager and converted to one compute
 * dtype. Arrays never require gradients, so a forward pass records nothing for them; closing the map frees them.
 */
public final class WeightMap implements AutoCloseable {

    private final NDManager manager;
    private final Map<String, NDArray> arrays;

    private WeightMap(NDManager manager, Map<String, NDArray> arrays) {
        this.manager = manager;
        this.arrays = arrays;
    }

    /**
     * Loads every tensor whose name passes {@code keep}, with {@code stripPrefix} removed from the front of names
     * that carry it (so the legacy {@code text_model.} prefix and the bare names resolve alike).
     */
    public static WeightMap load(
            Path folderOrFile, NDManager parent, DataType computeType, Predicate<String> keep, String stripPrefix) {
        NDManager manager = parent.newSubManager();
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        try (TensorSource ckpt = TensorSources.open(folderOrFile)) {
            for (String name : ckpt.names()) {
                String key = stripPrefix != null && name.startsWith(stripPrefix)
                        ? name.substring(stripPrefix.length())
                        : name;
                if (!keep.test(key)) {
                    continue;
                }
                NDArray a = ckpt.load(name, manager, computeType);
                a.setName(key);
                arrays.put(key, a);
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        return new WeightMap(manager, arrays);
    }

    public NDArray get(String name) {
        NDArray a = arrays.get(name);
        if (a == null) {
            throw new WeightsException("weight " + name + " is missing from the checkpoint");
        }
        return a;
    }

    public boolean has(String name) {
        return arrays.containsKey(name);
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(arrays.keySet());
    }

    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }
}
