package dev.vlm3d.bench;

import dev.vlm3d.models.mvdream.UNetConfig;
import dev.vlm3d.models.mvdream.VaeConfig;

/**
 * Analytic FLOP count of one SDS step (multiply-add = 2 FLOPs; convolutions, linear layers and attention matmuls;
 * norms, activations and elementwise ops are left out, they are a few percent). The encoder's backward computes input
 * gradients only (weights are frozen): its convolutions and linears cost about their forward again, its attention
 * matmuls twice their forward.
 */
final class SdsFlops {

    /** Forward FLOPs split into dense (conv/linear) and attention-matmul parts. */
    record Count(double dense, double attention) {
        double total() {
            return dense + attention;
        }

        Count plus(Count o) {
            return new Count(dense + o.dense, attention + o.attention);
        }
    }

    private SdsFlops() {}

    /** The UNet on {@code rows} inputs of latent side {@code side}, views per multi-view group {@code frames}. */
    static Count unet(UNetConfig c, int rows, int side, int frames, int contextLength) {
        double dense = 0;
        double attn = 0;
        int temb = c.timeEmbedDim();
        dense += rows * (2.0 * c.modelChannels() * temb + 2.0 * temb * temb);
        if (c.cameraDim() > 0) {
            dense += rows * (2.0 * c.cameraDim() * temb + 2.0 * temb * temb);
        }
        int r = side;
        dense += conv(c.inChannels(), c.modelChannels(), 3, r) * rows;
        int ch = c.modelChannels();
        java.util.ArrayDeque<Integer> skips = new java.util.ArrayDeque<>();
        skips.push(ch);
        for (int level = 0; level < c.levels(); level++) {
            int out = c.levelChannels()[level];
            for (int j = 0; j < c.numResBlocks(); j++) {
                dense += res(ch, out, r, temb) * rows;
                ch = out;
                if (c.attentionAtLevel()[level]) {
                    Count t = transformer(ch, r, c.contextDim(), contextLength, frames);
                    dense += t.dense * rows;
                    attn += t.attention * rows;
                }
                skips.push(ch);
            }
            if (level < c.levels() - 1) {
                r /= 2;
                dense += conv(ch, ch, 3, r) * rows;
                skips.push(ch);
            }
        }
        dense += 2 * res(ch, ch, r, temb) * rows;
        Count mid = transformer(ch, r, c.contextDim(), contextLength, frames);
        dense += mid.dense * rows;
        attn += mid.attention * rows;
        for (int level = c.levels() - 1; level >= 0; level--) {
            int out = c.levelChannels()[level];
            for (int i = 0; i <= c.numResBlocks(); i++) {
                dense += res(ch + skips.pop(), out, r, temb) * rows;
                ch = out;
                if (c.attentionAtLevel()[level]) {
                    Count t = transformer(ch, r, c.contextDim(), contextLength, frames);
                    dense += t.dense * rows;
                    attn += t.attention * rows;
                }
                if (level > 0 && i == c.numResBlocks()) {
                    r *= 2;
                    dense += conv(ch, ch, 3, r) * rows;
                }
            }
        }
        dense += conv(c.modelChannels(), c.outChannels(), 3, r) * rows;
        return new Count(dense, attn);
    }

    /** The VAE encoder + quant_conv forward on {@code rows} images of side {@code size}. */
    static Count vaeEncoder(VaeConfig c, int rows, int size) {
        double dense = 0;
        int r = size;
        int[] blocks = c.blockOutChannels();
        dense += conv(c.inChannels(), blocks[0], 3, r);
        int ch = blocks[0];
        for (int i = 0; i < blocks.length; i++) {
            for (int j = 0; j < c.layersPerBlock(); j++) {
                dense += res(ch, blocks[i], r, 0);
                ch = blocks[i];
            }
            if (i < blocks.length - 1) {
                r /= 2;
                dense += conv(ch, ch, 3, r);
            }
        }
        dense += 2 * res(ch, ch, r, 0);
        double tokens = (double) r * r;
        dense += 4 * 2.0 * ch * ch * tokens;
        double attn = 2 * 2.0 * tokens * tokens * ch;
        dense += conv(ch, 2 * c.latentChannels(), 3, r) + conv(2 * c.latentChannels(), 2 * c.latentChannels(), 1, r);
        return new Count(dense * rows, attn * rows);
    }

    /** Input-gradient backward of the encoder: dense layers once more, attention matmuls twice. */
    static Count vaeEncoderBackward(Count forward) {
        return new Count(forward.dense, 2 * forward.attention);
    }

    private static double conv(int cin, int cout, int k, int outSide) {
        return 2.0 * cin * cout * k * k * outSide * (double) outSide;
    }

    private static double res(int cin, int cout, int side, int temb) {
        double f = conv(cin, cout, 3, side) + conv(cout, cout, 3, side) + 2.0 * temb * cout;
        if (cin != cout) {
            f += conv(cin, cout, 1, side);
        }
        return f;
    }

    /** Per input row; multi-view self-attention spans {@code frames}·side² tokens. */
    private static Count transformer(int ch, int side, int contextDim, int contextLength, int frames) {
        double tokens = (double) side * side;
        double dense = 2 * 2.0 * ch * ch * tokens; // proj_in, proj_out
        dense += 4 * 2.0 * ch * ch * tokens; // attn1 q, k, v, out
        dense += 2 * 2.0 * ch * ch * tokens + 2 * 2.0 * contextDim * ch * contextLength; // attn2 q, out; k, v
        dense += 2.0 * ch * 8 * ch * tokens + 2.0 * 4 * ch * ch * tokens; // GEGLU feed-forward
        double attn = 2 * 2.0 * frames * tokens * tokens * ch; // scores + weighted sum, self
        attn += 2 * 2.0 * tokens * contextLength * ch; // scores + weighted sum, cross
        return new Count(dense, attn);
    }
}
