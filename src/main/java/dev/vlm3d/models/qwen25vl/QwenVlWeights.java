package dev.vlm3d.models.qwen25vl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.vlm3d.weights.TensorSource;
import dev.vlm3d.weights.TensorSources;
import dev.vlm3d.weights.WeightsException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * All tensors of a Qwen2.5-VL checkpoint, loaded into one manager under their canonical names
 * ({@link QwenVlWeightNames}) and converted on load: matrices and embeddings to {@link QwenVlPrecision#matrices()},
 * norm weights to {@link QwenVlPrecision#activations()}. Frozen: none requires a gradient.
 */
public final class QwenVlWeights implements AutoCloseable {

    private final Map<String, NDArray> tensors;
    private final NDManager manager;

    private QwenVlWeights(Map<String, NDArray> tensors, NDManager manager) {
        this.tensors = tensors;
        this.manager = manager;
    }

    public static QwenVlWeights load(Path folder, NDManager parent, QwenVlPrecision precision) {
        NDManager manager = parent.newSubManager();
        Map<String, String> storedByCanonical = new HashMap<>();
        try (TensorSource ckpt = TensorSources.open(folder)) {
            for (String stored : ckpt.names()) {
                String canonical = QwenVlWeightNames.canonical(stored);
                String previous = storedByCanonical.put(canonical, stored);
                if (previous != null) {
                    throw new WeightsException("tensors " + previous + " and " + stored + " both map to " + canonical);
                }
            }
            Map<String, NDArray> tensors = new HashMap<>();
            for (Map.Entry<String, String> e : storedByCanonical.entrySet()) {
                DataType loadType = isNormWeight(e.getKey()) ? DataType.FLOAT32 : narrowest(precision.matrices());
                NDArray a = ckpt.load(e.getValue(), manager, loadType);
                DataType target = isNormWeight(e.getKey()) ? precision.activations() : precision.matrices();
                if (a.getDataType() != target) {
                    NDArray widened = a.toType(target, false);
                    a.close();
                    a = widened;
                }
                a.setName(e.getKey());
                tensors.put(e.getKey(), a);
            }
            return new QwenVlWeights(tensors, manager);
        } catch (RuntimeException ex) {
            manager.close();
            throw ex;
        }
    }

    private static DataType narrowest(DataType t) {
        // The checkpoint reader converts to FLOAT32 or FLOAT16; float64 is widened from float32 afterwards.
        return t == DataType.FLOAT16 ? DataType.FLOAT16 : DataType.FLOAT32;
    }

    /** RMSNorm weights stay in the activation dtype: the fp16 option keeps all normalisation in float32. */
    static boolean isNormWeight(String canonical) {
        return canonical.endsWith("norm.weight")
                || canonical.endsWith("norm1.weight")
                || canonical.endsWith("norm2.weight")
                || canonical.endsWith("ln_q.weight");
    }

    public boolean contains(String canonical) {
        return tensors.containsKey(canonical);
    }

    public NDArray get(String canonical) {
        NDArray a = tensors.get(canonical);
        if (a == null) {
            throw new WeightsException(
                    "checkpoint has no tensor " + canonical + " (looked for hub and transformers-5 names)");
        }
        return a;
    }

    public int size() {
        return tensors.size();
    }

    @Override
    public void close() {
        manager.close();
    }
}
