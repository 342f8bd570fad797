package dev.vlm3d.models.mvdream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.vlm3d.nn.Convolutions;
import dev.vlm3d.nn.Layers;
import dev.vlm3d.nn.Lifetimes;
import dev.vlm3d.nn.Scalars;
import dev.vlm3d.weights.WeightMap;
import java.nio.file.Path;

/**
 * The encoder half of the SD KL-f8 autoencoder (diffusers {@code AutoencoderKL} names) plus {@code quant_conv}, written
 * so that autograd flows from the latent back to the pixels: SDS backpropagates through it into the renders. Only the
 * weights are frozen (they never require gradients).
 */
public final class VaeEncoder implements AutoCloseable {

    private static final float EPS = 1e-6f;

    /** The encoder's outputs for one batch. */
    public record Posterior(NDArray moments, NDArray mean, NDArray logvar, NDArray std) {
        /** z = mean + std·ε (the posterior is sampled, and the gradient flows through both branches); ε must stay
         * open until the backward pass, which reads it. */
        public NDArray sample(NDArray noise) {
            return mean.add(std.mul(noise));
        }
    }

    private final VaeConfig config;
    private final WeightMap w;

    private VaeEncoder(VaeConfig config, WeightMap w) {
        this.config = config;
        this.w = w;
    }

    /** Loads {@code config.json} and the encoder/quant_conv tensors of a {@code vae/} folder. */
    public static VaeEncoder load(Path folder, NDManager manager, DataType computeType) {
        VaeConfig config = VaeConfig.load(folder.resolve("config.json"));
        WeightMap w = WeightMap.load(
                folder, manager, computeType, n -> n.startsWith("encoder.") || n.startsWith("quant_conv."), null);
        return new VaeEncoder(config, w);
    }

    public VaeConfig config() {
        return config;
    }

    /** Encoder + quant_conv on x in [−1, 1] ([N, C, H, W]); returns the moments [N, 2·latent, H/f, W/f]. */
    public NDArray moments(NDArray x) {
        return conv(encoderOutput(x), "quant_conv", 1, 0);
    }

    /** The encoder alone (before quant_conv). */
    public NDArray encoderOutput(NDArray x) {
        NDArray h = conv(x, "encoder.conv_in", 1, 1);
        int[] blocks = config.blockOutChannels();
        for (int i = 0; i < blocks.length; i++) {
            for (int j = 0; j < config.layersPerBlock(); j++) {
                h = resnet(h, "encoder.down_blocks." + i + ".resnets." + j);
            }
            if (i < blocks.length - 1) {
                h = conv(Convolutions.padBottomRight(h), "encoder.down_blocks." + i + ".downsamplers.0.conv", 2, 0);
            }
        }
        h = resnet(h, "encoder.mid_block.resnets.0");
        h = midAttention(h, "encoder.mid_block.attentions.0");
        h = resnet(h, "encoder.mid_block.resnets.1");
        h = Layers.silu(norm(h, "encoder.conv_norm_out"));
        return conv(h, "encoder.conv_out", 1, 1);
    }

    /** The diagonal Gaussian posterior of {@code x} in [−1, 1], logvar clamped to [−30, 20] as the reference does. */
    public Posterior posterior(NDArray x) {
        NDArray moments = moments(x);
        long c = moments.getShape().get(1) / 2;
        NDArray mean = moments.get(":, 0:" + c);
        NDArray logvar = moments.get(":, " + c + ":").clip(-30f, 20f);
        NDArray std = logvar.mul(Scalars.like(logvar, 0.5)).exp();
        return new Posterior(moments, mean, logvar, std);
    }

    private NDArray resnet(NDArray x, String p) {
        return Lifetimes.scopedArray(() -> resnetBody(x, p));
    }

    private NDArray resnetBody(NDArray x, String p) {
        NDArray h = conv(Layers.silu(norm(x, p + ".norm1")), p + ".conv1", 1, 1);
        h = conv(Layers.silu(norm(h, p + ".norm2")), p + ".conv2", 1, 1);
        NDArray skip = w.has(p + ".conv_shortcut.weight") ? conv(x, p + ".conv_shortcut", 1, 0) : x;
        return skip.add(h);
    }

    /** Single-head self-attention over all H·W positions (diffusers stores q/k/v/out as Linear; older files as
     * 1×1 convs or under query/key/value/proj_attn). */
    private NDArray midAttention(NDArray x, String p) {
        return Lifetimes.scopedArray(() -> midAttentionBody(x, p));
    }

    private NDArray midAttentionBody(NDArray x, String p) {
        long n = x.getShape().get(0);
        long ch = x.getShape().get(1);
        long hh = x.getShape().get(2);
        long ww = x.getShape().get(3);
        NDArray tokens = norm(x, p + ".group_norm").reshape(n, ch, hh * ww).transpose(0, 2, 1);
        boolean modern = w.has(p + ".to_q.weight");
        NDArray q = lin(tokens, p + (modern ? ".to_q" : ".query"));
        NDArray k = lin(tokens, p + (modern ? ".to_k" : ".key"));
        NDArray v = lin(tokens, p + (modern ? ".to_v" : ".value"));
        NDArray o = Layers.attention(q, k, v, null, Math.pow(ch, -0.5), 0);
        o = lin(o, p + (modern ? ".to_out.0" : ".proj_attn"));
        return x.add(o.transpose(0, 2, 1).reshape(n, ch, hh, ww));
    }

    private NDArray lin(NDArray x, String p) {
        NDArray weight = w.get(p + ".weight");
        if (weight.getShape().dimension() == 4) {
            weight = weight.reshape(weight.getShape().get(0), weight.getShape().get(1));
        }
        return Layers.linear(x, weight, w.get(p + ".bias"));
    }

    private NDArray norm(NDArray x, String p) {
        return Layers.groupNorm(x, config.normNumGroups(), w.get(p + ".weight"), w.get(p + ".bias"), EPS);
    }

    private NDArray conv(NDArray x, String p, int stride, int padding) {
        return Convolutions.conv2d(x, w.get(p + ".weight"), w.get(p + ".bias"), stride, padding);
    }

    @Override
    public void close() {
        w.close();
    }
}
