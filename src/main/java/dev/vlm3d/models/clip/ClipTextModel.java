package dev.vlm3d.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.vlm3d.nn.HostArrays;
import dev.vlm3d.nn.Layers;
import dev.vlm3d.weights.WeightMap;
import java.nio.file.Path;

/**
 * Hugging Face {@code CLIPTextModel}: token + learned position embeddings, pre-LN blocks with causal self-attention
 * and the config's activation, final LayerNorm; returns {@code last_hidden_state} (no pooling, no projection), which
 * is what Stable Diffusion 2 cross-attends to. No padding mask: pad positions are encoded like any token.
 */
public final class ClipTextModel implements AutoCloseable {

    private final ClipTextConfig config;
    private final WeightMap w;

    private ClipTextModel(ClipTextConfig config, WeightMap weights) {
        this.config = config;
        this.w = weights;
    }

    /** Loads {@code config.json} and the safetensors of a {@code text_encoder/} folder (with or without the
     * legacy {@code text_model.} name prefix). */
    public static ClipTextModel load(Path folder, NDManager manager, DataType computeType) {
        ClipTextConfig config = ClipTextConfig.load(folder.resolve("config.json"));
        WeightMap weights = WeightMap.load(
                folder,
                manager,
                computeType,
                name -> !name.endsWith("position_ids") && !name.startsWith("text_projection"),
                "text_model.");
        return new ClipTextModel(config, weights);
    }

    public ClipTextConfig config() {
        return config;
    }

    /** Every hidden state: index 0 the embeddings, index i the output of layer i, the last one after final LN. */
    public NDArray[] forwardAll(NDArray inputIds) {
        long batch = inputIds.getShape().get(0);
        int seq = (int) inputIds.getShape().get(1);
        NDArray[] states = new NDArray[config.numLayers() + 2];
        NDArray tokens = inputIds.getNDArrayInternal()
                .embedding(inputIds, w.get("embeddings.token_embedding.weight"), SparseFormat.DENSE)
                .singletonOrThrow();
        NDArray positions = w.get("embeddings.position_embedding.weight").get("0:" + seq);
        NDArray x = tokens.add(positions);
        states[0] = x;
        NDArray mask = causalMask(inputIds.getManager(), seq, x.getDataType());
        for (int i = 0; i < config.numLayers(); i++) {
            x = layer(x, "encoder.layers." + i + ".", mask, batch, seq);
            states[i + 1] = x;
        }
        states[config.numLayers() + 1] = Layers.layerNorm(
                x, w.get("final_layer_norm.weight"), w.get("final_layer_norm.bias"), config.layerNormEps());
        return states;
    }

    /** {@code last_hidden_state} [N, L, hidden] for token ids [N, L] (INT64). */
    public NDArray forward(NDArray inputIds) {
        NDArray[] all = forwardAll(inputIds);
        return all[all.length - 1];
    }

    private NDArray layer(NDArray x, String p, NDArray mask, long batch, int seq) {
        float eps = config.layerNormEps();
        NDArray h = Layers.layerNorm(x, w.get(p + "layer_norm1.weight"), w.get(p + "layer_norm1.bias"), eps);
        x = x.add(selfAttention(h, p + "self_attn.", mask, batch, seq));
        h = Layers.layerNorm(x, w.get(p + "layer_norm2.weight"), w.get(p + "layer_norm2.bias"), eps);
        h = Layers.linear(h, w.get(p + "mlp.fc1.weight"), w.get(p + "mlp.fc1.bias"));
        h = activation(h);
        h = Layers.linear(h, w.get(p + "mlp.fc2.weight"), w.get(p + "mlp.fc2.bias"));
        return x.add(h);
    }

    private NDArray selfAttention(NDArray x, String p, NDArray mask, long batch, int seq) {
        int heads = config.numHeads();
        int d = config.headDim();
        NDArray q = heads(Layers.linear(x, w.get(p + "q_proj.weight"), w.get(p + "q_proj.bias")), batch, seq);
        NDArray k = heads(Layers.linear(x, w.get(p + "k_proj.weight"), w.get(p + "k_proj.bias")), batch, seq);
        NDArray v = heads(Layers.linear(x, w.get(p + "v_proj.weight"), w.get(p + "v_proj.bias")), batch, seq);
        NDArray o = Layers.attention(q, k, v, mask, Math.pow(d, -0.5), 0)
                .transpose(0, 2, 1, 3)
                .reshape(batch, seq, (long) heads * d);
        return Layers.linear(o, w.get(p + "out_proj.weight"), w.get(p + "out_proj.bias"));
    }

    private NDArray heads(NDArray x, long batch, int seq) {
        return x.reshape(batch, seq, config.numHeads(), config.headDim()).transpose(0, 2, 1, 3);
    }

    private NDArray activation(NDArray x) {
        return switch (config.hiddenAct()) {
            case "gelu" -> Layers.gelu(x);
            case "quick_gelu" -> Layers.quickGelu(x);
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> Layers.geluTanh(x);
            default -> throw new IllegalArgumentException("unsupported CLIP activation " + config.hiddenAct());
        };
    }

    private static NDArray causalMask(NDManager manager, int seq, DataType type) {
        float[] m = new float[seq * seq];
        for (int i = 0; i < seq; i++) {
            for (int j = i + 1; j < seq; j++) {
                m[i * seq + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return HostArrays.create(manager, m, new Shape(seq, seq)).toType(type, false);
    }

    @Override
    public void close() {
        w.close();
    }
}
