package dev.vlm3d.models.qwen25vl;

import static dev.vlm3d.models.qwen25vl.QwenVlWeightNames.textLayer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vlm3d.nn.HostArrays;
import dev.vlm3d.nn.Layers;
import dev.vlm3d.nn.Rotary;
import dev.vlm3d.nn.Scalars;

/**
 * Qwen2 decoder with M-RoPE, GQA (consecutive query heads share a kv head), q/k/v biases, RMSNorm and SwiGLU.
 * Returns the logits of the last position only: the last layer computes its query, attention output and MLP for
 * that one row (the other rows cannot influence it), and the LM head is applied to one row, never S × vocab.
 */
public final class QwenVlText {

    private final QwenVlConfig.Text config;
    private final QwenVlWeights weights;
    private final QwenVlOps ops;

    QwenVlText(QwenVlConfig.Text config, QwenVlWeights weights, QwenVlOps ops) {
        this.config = config;
        this.weights = weights;
        this.ops = ops;
    }

    /** Rows of the token embedding table for ids (no gradient: the table is frozen). */
    public NDArray embed(long[] ids, NDManager m) {
        NDArray idx = HostArrays.create(m, ids);
        NDArray rows = weights.get(QwenVlWeightNames.EMBED_TOKENS).get(idx);
        rows.attach(m); // the gather's result lands in the weights' manager (first operand)
        if (rows.getDataType() != ops.activations()) {
            rows = rows.toType(ops.activations(), false);
        }
        return rows;
    }

    /**
     * Token embeddings with the image-pad positions replaced, in order, by the rows of {@code imageEmbeds}: built by
     * concatenating slices so the gradient reaches the image rows.
     */
    public NDArray spliceImages(long[] ids, long imagePadId, NDArray imageEmbeds) {
        NDManager m = imageEmbeds.getManager();
        NDArray text = embed(ids, m);
        NDList pieces = new NDList();
        int imageRow = 0;
        int i = 0;
        while (i < ids.length) {
            int j = i;
            boolean pad = ids[i] == imagePadId;
            while (j < ids.length && (ids[j] == imagePadId) == pad) {
                j++;
            }
            if (pad) {
                pieces.add(imageEmbeds.get(new NDIndex(imageRow + ":" + (imageRow + j - i))));
                imageRow += j - i;
            } else {
                pieces.add(text.get(new NDIndex(i + ":" + j)));
            }
            i = j;
        }
        if (imageRow != imageEmbeds.getShape().get(0)) {
            throw new IllegalArgumentException("prompt has " + imageRow + " image-pad tokens, vision gave "
                    + imageEmbeds.getShape().get(0) + " rows");
        }
        return pieces.size() == 1 ? pieces.get(0) : NDArrays.concat(pieces, 0);
    }

    /**
     * @param inputsEmbeds [S, D]
     * @param positions    [3][S] M-RoPE positions
     * @param trace        optional per-layer outputs (full rows are computed only for layers before the last)
     * @return last-position logits [vocab]
     */
    public NDArray lastLogits(NDArray inputsEmbeds, long[][] positions, QwenVlVision.Trace trace) {
        NDManager m = inputsEmbeds.getManager();
        int s = Math.toIntExact(inputsEmbeds.getShape().get(0));
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int group = heads / kvHeads;
        int headDim = config.headDim();
        double scale = 1.0 / Math.sqrt(headDim);
        NDArray[] cosSin = mropeTables(positions, m); // [S, 1, d]
        NDArray cosLast = cosSin[0].get(new NDIndex((s - 1) + ":"));
        NDArray sinLast = cosSin[1].get(new NDIndex((s - 1) + ":"));
        NDArray causal = causalMask(s, m);

        NDArray x = inputsEmbeds;
        for (int l = 0; l < config.numLayers(); l++) {
            boolean last = l == config.numLayers() - 1;
            NDArray h = ops.rmsNorm(x, weights.get(textLayer(l, "input_layernorm.weight")), config.rmsNormEps());
            NDArray hq = last ? h.get(new NDIndex((s - 1) + ":")) : h;
            int rows = last ? 1 : s;
            NDArray q = ops.linear(
                            hq,
                            weights.get(textLayer(l, "self_attn.q_proj.weight")),
                            weights.get(textLayer(l, "self_attn.q_proj.bias")))
                    .reshape(rows, heads, headDim);
            NDArray k = ops.linear(
                            h,
                            weights.get(textLayer(l, "self_attn.k_proj.weight")),
                            weights.get(textLayer(l, "self_attn.k_proj.bias")))
                    .reshape(s, kvHeads, headDim);
            NDArray v = ops.linear(
                            h,
                            weights.get(textLayer(l, "self_attn.v_proj.weight")),
                            weights.get(textLayer(l, "self_attn.v_proj.bias")))
                    .reshape(s, kvHeads, headDim);
            q = Rotary.apply(q, last ? cosLast : cosSin[0], last ? sinLast : cosSin[1]);
            k = Rotary.apply(k, cosSin[0], cosSin[1]);
            // [rows, Hkv, g, d] → [Hkv, g, rows, d]; k/v [Hkv, 1, S, d] broadcast over the g query heads of a group
            NDArray qg = q.reshape(rows, kvHeads, group, headDim).transpose(1, 2, 0, 3);
            NDArray kg = k.transpose(1, 0, 2).expandDims(1);
            NDArray vg = v.transpose(1, 0, 2).expandDims(1);
            NDArray scores = qg.matMul(kg.swapAxes(-1, -2));
            scores = scores.mul(Scalars.like(scores, scale));
            if (!last) {
                scores = scores.add(causal);
            }
            NDArray o = scores.softmax(-1).matMul(vg).transpose(2, 0, 1, 3).reshape(rows, (long) heads * headDim);
            NDArray residual = last ? x.get(new NDIndex((s - 1) + ":")) : x;
            x = residual.add(ops.linear(o, weights.get(textLayer(l, "self_attn.o_proj.weight")), null));
            h = ops.rmsNorm(x, weights.get(textLayer(l, "post_attention_layernorm.weight")), config.rmsNormEps());
            NDArray gate = ops.linear(h, weights.get(textLayer(l, "mlp.gate_proj.weight")), null);
            NDArray up = ops.linear(h, weights.get(textLayer(l, "mlp.up_proj.weight")), null);
            x = x.add(ops.linear(Layers.silu(gate).mul(up), weights.get(textLayer(l, "mlp.down_proj.weight")), null));
            if (trace != null && !last) {
                trace.record("text_layer_out_" + l, x);
            }
        }
        NDArray normed = ops.rmsNorm(x, weights.get(QwenVlWeightNames.FINAL_NORM), config.rmsNormEps());
        // Tied checkpoints (3B) store no lm_head; untied ones (7B) must have it.
        NDArray head = config.tieWordEmbeddings()
                ? weights.get(QwenVlWeightNames.EMBED_TOKENS)
                : weights.get(QwenVlWeightNames.LM_HEAD);
        return ops.linear(normed, head, null).reshape(-1);
    }

    private NDArray causalMask(int s, NDManager m) {
        if (ops.activations() == DataType.FLOAT64) {
            double[] mask = new double[s * s];
            for (int i = 0; i < s; i++) {
                for (int j = i + 1; j < s; j++) {
                    mask[i * s + j] = Double.NEGATIVE_INFINITY;
                }
            }
            return HostArrays.create(m, mask, new Shape(s, s));
        }
        float[] mask = new float[s * s];
        for (int i = 0; i < s; i++) {
            for (int j = i + 1; j < s; j++) {
                mask[i * s + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return HostArrays.create(m, mask, new Shape(s, s));
    }

    /**
     * cos/sin [S, 1, head_dim]: frequency k (of head_dim/2) takes its position from the axis its mrope section
     * assigns (t, then h, then w); dims d and d + head_dim/2 share frequency d.
     */
    NDArray[] mropeTables(long[][] positions, NDManager m) {
        int s = positions[0].length;
        int headDim = config.headDim();
        int half = headDim / 2;
        boolean f64 = ops.activations() == DataType.FLOAT64;
        int[] axisOf = new int[half];
        int k = 0;
        for (int axis = 0; axis < config.mropeSection().length; axis++) {
            for (int r = 0; r < config.mropeSection()[axis]; r++) {
                axisOf[k++] = axis;
            }
        }
        double[] invFreq = new double[half];
        for (int j = 0; j < half; j++) {
            if (f64) {
                invFreq[j] = 1.0 / Math.pow(config.ropeTheta(), (2.0 * j) / headDim);
            } else {
                float exponent = (float) (2 * j) / (float) headDim;
                float power = (float) Math.pow(config.ropeTheta(), exponent);
                invFreq[j] = 1.0f / power;
            }
        }
        double[] cos = new double[s * headDim];
        double[] sin = new double[s * headDim];
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < half; j++) {
                double a = QwenVlVision.angle(Math.toIntExact(positions[axisOf[j]][i]), invFreq[j], f64);
                double c = Math.cos(a);
                double sn = Math.sin(a);
                cos[i * headDim + j] = c;
                cos[i * headDim + half + j] = c;
                sin[i * headDim + j] = sn;
                sin[i * headDim + half + j] = sn;
            }
        }
        NDArray[] out = new NDArray[2];
        double[][] src = {cos, sin};
        for (int t = 0; t < 2; t++) {
            if (f64) {
                out[t] = HostArrays.create(m, src[t], new Shape(s, 1, headDim));
            } else {
                float[] f = new float[src[t].length];
                for (int i = 0; i < f.length; i++) {
                    f[i] = (float) src[t][i];
                }
                out[t] = HostArrays.create(m, f, new Shape(s, 1, headDim));
            }
        }
        return out;
    }
}
