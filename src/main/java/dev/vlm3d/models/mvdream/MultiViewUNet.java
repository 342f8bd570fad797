package dev.vlm3d.models.mvdream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vlm3d.models.mvdream.UNetConfig.Naming;
import dev.vlm3d.nn.Convolutions;
import dev.vlm3d.nn.Layers;
import dev.vlm3d.nn.Lifetimes;
import dev.vlm3d.weights.WeightMap;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.BiConsumer;

/**
 * MVDream's {@code MultiViewUNetModel} (SD 2.1-base layout + camera MLP + self-attention across the views of a group)
 * and, with no camera embedding and one view per group, the plain Stable Diffusion 2.1 UNet. Built from its config;
 * the weights are frozen and the network is meant to run without an autograd graph (SDS never differentiates it), which
 * is what makes query-chunked attention save memory.
 *
 * <p>Batch layout: rows are group-major; every block of {@code numFrames} consecutive rows is one multi-view group
 * whose tokens attend to each other in the first attention of every transformer block.
 */
public final class MultiViewUNet implements AutoCloseable {

    private static final float TRANSFORMER_NORM_EPS = 1e-6f;
    private static final float LAYER_NORM_EPS = 1e-5f;

    private final UNetConfig config;
    private final WeightMap w;
    private final int attentionQueryChunk;

    private MultiViewUNet(UNetConfig config, WeightMap w, int attentionQueryChunk) {
        this.config = config;
        this.w = w;
        this.attentionQueryChunk = attentionQueryChunk;
    }

    /**
     * Loads a {@code unet/} folder.
     *
     * @param attentionQueryChunk queries per attention block (≤ 0: whole sequence); bounds the L×L score matrix
     */
    public static MultiViewUNet load(Path folder, NDManager manager, DataType computeType, int attentionQueryChunk) {
        UNetConfig config = UNetConfig.load(folder.resolve("config.json"));
        WeightMap w = WeightMap.load(folder, manager, computeType, n -> true, null);
        return new MultiViewUNet(config, w, attentionQueryChunk);
    }

    public UNetConfig config() {
        return config;
    }

    public boolean hasCameraEmbedding() {
        return config.cameraDim() > 0;
    }

    public DataType dataType() {
        return w.get(names().convIn() + ".weight").getDataType();
    }

    /**
     * Predicted noise ε̂ [N, out, h, w].
     *
     * @param x         noisy latents [N, in, h, w]
     * @param timesteps [N] (any numeric type; embedded as float)
     * @param context   text embeddings [N, L, contextDim]
     * @param camera    camera condition [N, cameraDim], or null for a UNet without camera embedding
     * @param numFrames views per multi-view group (1 for a plain SD UNet); N must be a multiple of it
     * @param probe     receives intermediate tensors under the reference's LDM names (t_emb, emb, h_input_blocks_K,
     *                  h_middle_block, h_output_blocks_K), or null
     */
    public NDArray forward(
            NDArray x,
            NDArray timesteps,
            NDArray context,
            NDArray camera,
            int numFrames,
            BiConsumer<String, NDArray> probe) {
        if (x.getShape().get(0) % numFrames != 0) {
            throw new IllegalArgumentException(
                    "batch " + x.getShape().get(0) + " is not a multiple of numFrames " + numFrames);
        }
        BiConsumer<String, NDArray> tap = probe != null ? probe : (n, a) -> {};
        Names names = names();
        NDArray tEmb = timestepEmbedding(timesteps, config.modelChannels()).toType(x.getDataType(), false);
        tap.accept("t_emb", tEmb);
        NDArray emb = mlp(tEmb, names.timeEmbed(0), names.timeEmbed(1));
        if (hasCameraEmbedding()) {
            if (camera == null) {
                throw new IllegalArgumentException("this UNet needs a camera condition");
            }
            emb = emb.add(mlp(camera.toType(x.getDataType(), false), "camera_embed.0", "camera_embed.2"));
        }
        tap.accept("emb", emb);

        Deque<NDArray> skips = new ArrayDeque<>();
        int block = 0;
        NDArray h = conv(x, names.convIn(), 1, 1);
        skips.push(h);
        tap.accept("h_input_blocks_" + block++, h);
        int levels = config.levels();
        for (int level = 0; level < levels; level++) {
            int ch = config.levelChannels()[level];
            for (int j = 0; j < config.numResBlocks(); j++) {
                h = resBlock(h, emb, names.downRes(level, j));
                if (config.attentionAtLevel()[level]) {
                    h = transformer(h, context, names.downAttn(level, j), config.heads(level, ch), numFrames);
                }
                skips.push(h);
                tap.accept("h_input_blocks_" + block++, h);
            }
            if (level < levels - 1) {
                h = conv(h, names.downsample(level), 2, 1);
                skips.push(h);
                tap.accept("h_input_blocks_" + block++, h);
            }
        }
        int top = config.levelChannels()[levels - 1];
        h = resBlock(h, emb, names.midRes(0));
        h = transformer(h, context, names.midAttn(), config.heads(levels - 1, top), numFrames);
        h = resBlock(h, emb, names.midRes(1));
        tap.accept("h_middle_block", h);

        block = 0;
        for (int r = 0; r < levels; r++) {
            int level = levels - 1 - r;
            int ch = config.levelChannels()[level];
            for (int i = 0; i <= config.numResBlocks(); i++) {
                h = NDArrays.concat(new NDList(h, skips.pop()), 1);
                h = resBlock(h, emb, names.upRes(r, i));
                if (config.attentionAtLevel()[level]) {
                    h = transformer(h, context, names.upAttn(r, i), config.heads(level, ch), numFrames);
                }
                if (level > 0 && i == config.numResBlocks()) {
                    h = conv(Convolutions.upsampleNearest2x(h), names.upsample(r), 1, 1);
                }
                tap.accept("h_output_blocks_" + block++, h);
            }
        }
        h = Layers.silu(groupNorm(h, names.normOut(), config.resnetEps()));
        return conv(h, names.convOut(), 1, 1);
    }

    /** LDM's sinusoidal embedding, [cos | sin], computed in float32 as the reference does. */
    static NDArray timestepEmbedding(NDArray timesteps, int dim) {
        NDManager m = timesteps.getManager();
        int half = dim / 2;
        NDArray freqs = m.arange(0, half, 1, DataType.FLOAT32)
                .mul((float) -Math.log(10000))
                .div(half)
                .exp();
        NDArray args = timesteps.toType(DataType.FLOAT32, false).reshape(-1, 1).mul(freqs.reshape(1, half));
        NDArray emb = NDArrays.concat(new NDList(args.cos(), args.sin()), 1);
        if (dim % 2 == 1) {
            emb = NDArrays.concat(
                    new NDList(emb, m.zeros(new Shape(emb.getShape().get(0), 1))), 1);
        }
        return emb;
    }

    private NDArray mlp(NDArray x, String first, String second) {
        NDArray h = Layers.linear(x, w.get(first + ".weight"), w.get(first + ".bias"));
        h = Layers.silu(h);
        return Layers.linear(h, w.get(second + ".weight"), w.get(second + ".bias"));
    }

    private NDArray resBlock(NDArray x, NDArray emb, ResNames p) {
        return Lifetimes.scopedArray(() -> resBlockBody(x, emb, p));
    }

    private NDArray resBlockBody(NDArray x, NDArray emb, ResNames p) {
        float eps = config.resnetEps();
        NDArray h = conv(Layers.silu(groupNorm(x, p.norm1, eps)), p.conv1, 1, 1);
        NDArray e = Layers.linear(Layers.silu(emb), w.get(p.embProj + ".weight"), w.get(p.embProj + ".bias"));
        h = h.add(e.reshape(e.getShape().get(0), e.getShape().get(1), 1, 1));
        h = conv(Layers.silu(groupNorm(h, p.norm2, eps)), p.conv2, 1, 1);
        NDArray skip = w.has(p.skip + ".weight") ? conv(x, p.skip, 1, 0) : x;
        return skip.add(h);
    }

    private NDArray transformer(NDArray x, NDArray context, String p, int heads, int numFrames) {
        return Lifetimes.scopedArray(() -> transformerBody(x, context, p, heads, numFrames));
    }

    private NDArray transformerBody(NDArray x, NDArray context, String p, int heads, int numFrames) {
        long n = x.getShape().get(0);
        long c = x.getShape().get(1);
        long hh = x.getShape().get(2);
        long ww = x.getShape().get(3);
        NDArray h = groupNorm(x, p + ".norm", TRANSFORMER_NORM_EPS)
                .reshape(n, c, hh * ww)
                .transpose(0, 2, 1);
        h = linearOrConv1x1(h, p + ".proj_in");
        for (int d = 0; d < config.transformerDepth(); d++) {
            h = transformerBlock(h, context, p + ".transformer_blocks." + d, heads, numFrames);
        }
        h = linearOrConv1x1(h, p + ".proj_out");
        return h.transpose(0, 2, 1).reshape(n, c, hh, ww).add(x);
    }

    private NDArray transformerBlock(NDArray x, NDArray context, String p, int heads, int numFrames) {
        long n = x.getShape().get(0);
        long len = x.getShape().get(1);
        long c = x.getShape().get(2);
        // the views of a group become one token sequence, so every view attends to all of them
        NDArray grouped = x.reshape(n / numFrames, numFrames * len, c);
        NDArray normed = layerNorm(grouped, p + ".norm1");
        grouped = grouped.add(attention(normed, normed, p + ".attn1", heads));
        x = grouped.reshape(n, len, c);
        x = x.add(attention(layerNorm(x, p + ".norm2"), context, p + ".attn2", heads));
        return x.add(geglu(layerNorm(x, p + ".norm3"), p + ".ff"));
    }

    private NDArray attention(NDArray x, NDArray context, String p, int heads) {
        long n = x.getShape().get(0);
        long lq = x.getShape().get(1);
        long lk = context.getShape().get(1);
        NDArray q = Layers.linear(x, w.get(p + ".to_q.weight"), null);
        NDArray k = Layers.linear(context, w.get(p + ".to_k.weight"), null);
        NDArray v = Layers.linear(context, w.get(p + ".to_v.weight"), null);
        long inner = q.getShape().get(2);
        long d = inner / heads;
        q = q.reshape(n, lq, heads, d).transpose(0, 2, 1, 3);
        k = k.reshape(n, lk, heads, d).transpose(0, 2, 1, 3);
        v = v.reshape(n, lk, heads, d).transpose(0, 2, 1, 3);
        NDArray o = Layers.attention(q, k, v, null, Math.pow(d, -0.5), attentionQueryChunk)
                .transpose(0, 2, 1, 3)
                .reshape(n, lq, inner);
        return Layers.linear(o, w.get(p + ".to_out.0.weight"), w.get(p + ".to_out.0.bias"));
    }

    /** GEGLU: the projection's output is [value | gate]; value·gelu(gate), then the output Linear. */
    private NDArray geglu(NDArray x, String p) {
        NDArray proj = Layers.linear(x, w.get(p + ".net.0.proj.weight"), w.get(p + ".net.0.proj.bias"));
        long half = proj.getShape().get(2) / 2;
        NDArray value = proj.get(":, :, 0:" + half);
        NDArray gate = proj.get(":, :, " + half + ":");
        NDArray h = value.mul(Layers.gelu(gate));
        return Layers.linear(h, w.get(p + ".net.2.weight"), w.get(p + ".net.2.bias"));
    }

    private NDArray linearOrConv1x1(NDArray tokens, String p) {
        NDArray weight = w.get(p + ".weight");
        if (weight.getShape().dimension() == 4) {
            weight = weight.reshape(weight.getShape().get(0), weight.getShape().get(1));
        }
        return Layers.linear(tokens, weight, w.get(p + ".bias"));
    }

    private NDArray layerNorm(NDArray x, String p) {
        return Layers.layerNorm(x, w.get(p + ".weight"), w.get(p + ".bias"), LAYER_NORM_EPS);
    }

    private NDArray groupNorm(NDArray x, String p, float eps) {
        return Layers.groupNorm(x, config.normGroups(), w.get(p + ".weight"), w.get(p + ".bias"), eps);
    }

    private NDArray conv(NDArray x, String p, int stride, int padding) {
        return Convolutions.conv2d(x, w.get(p + ".weight"), w.get(p + ".bias"), stride, padding);
    }

    private Names names() {
        return new Names(config);
    }

    private record ResNames(String norm1, String conv1, String embProj, String norm2, String conv2, String skip) {
        static ResNames of(String p, Naming naming) {
            return naming == Naming.LDM
                    ? new ResNames(
                            p + ".in_layers.0",
                            p + ".in_layers.2",
                            p + ".emb_layers.1",
                            p + ".out_layers.0",
                            p + ".out_layers.3",
                            p + ".skip_connection")
                    : new ResNames(
                            p + ".norm1",
                            p + ".conv1",
                            p + ".time_emb_proj",
                            p + ".norm2",
                            p + ".conv2",
                            p + ".conv_shortcut");
        }
    }

    /** The one place where block positions map to checkpoint names, for both naming schemes. */
    private record Names(UNetConfig config) {
        boolean ldm() {
            return config.naming() == Naming.LDM;
        }

        String timeEmbed(int i) {
            return ldm() ? "time_embed." + (2 * i) : "time_embedding.linear_" + (i + 1);
        }

        String convIn() {
            return ldm() ? "input_blocks.0.0" : "conv_in";
        }

        private int inputIndex(int level, int j) {
            return 1 + level * (config.numResBlocks() + 1) + j;
        }

        ResNames downRes(int level, int j) {
            return ResNames.of(
                    ldm() ? "input_blocks." + inputIndex(level, j) + ".0" : "down_blocks." + level + ".resnets." + j,
                    config.naming());
        }

        String downAttn(int level, int j) {
            return ldm() ? "input_blocks." + inputIndex(level, j) + ".1" : "down_blocks." + level + ".attentions." + j;
        }

        String downsample(int level) {
            return ldm()
                    ? "input_blocks." + inputIndex(level, config.numResBlocks()) + ".0.op"
                    : "down_blocks." + level + ".downsamplers.0.conv";
        }

        ResNames midRes(int i) {
            return ResNames.of(ldm() ? "middle_block." + (2 * i) : "mid_block.resnets." + i, config.naming());
        }

        String midAttn() {
            return ldm() ? "middle_block.1" : "mid_block.attentions.0";
        }

        private int outputIndex(int r, int i) {
            return r * (config.numResBlocks() + 1) + i;
        }

        ResNames upRes(int r, int i) {
            return ResNames.of(
                    ldm() ? "output_blocks." + outputIndex(r, i) + ".0" : "up_blocks." + r + ".resnets." + i,
                    config.naming());
        }

        String upAttn(int r, int i) {
            return ldm() ? "output_blocks." + outputIndex(r, i) + ".1" : "up_blocks." + r + ".attentions." + i;
        }

        String upsample(int r) {
            int level = config.levels() - 1 - r;
            int slot = config.attentionAtLevel()[level] ? 2 : 1;
            return ldm()
                    ? "output_blocks." + outputIndex(r, config.numResBlocks()) + "." + slot + ".conv"
                    : "up_blocks." + r + ".upsamplers.0.conv";
        }

        String normOut() {
            return ldm() ? "out.0" : "conv_norm_out";
        }

        String convOut() {
            return ldm() ? "out.2" : "conv_out";
        }
    }

    @Override
    public void close() {
        w.close();
    }
}
