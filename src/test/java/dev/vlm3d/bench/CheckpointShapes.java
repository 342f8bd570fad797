package dev.vlm3d.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensor names and shapes a checkpoint of each network has, derived from its config alone: Qwen2.5-VL
 * (transformers names), the MVDream multi-view UNet (LDM names), the AutoencoderKL encoder and the CLIP text encoder
 * (diffusers / transformers names). Lets the real-size benchmark build the networks with generated weights;
 * {@code CheckpointShapesTest} checks each against the tiny checkpoints' manifests (src/main/resources/tiny-models).
 */
public final class CheckpointShapes {

    private CheckpointShapes() {}

    /** Qwen2.5-VL-Instruct: language model, lm_head and vision tower with merger. */
    public static Map<String, long[]> qwen25vl(JsonObject c) {
        Map<String, long[]> t = new LinkedHashMap<>();
        long hidden = c.get("hidden_size").getAsLong();
        long inter = c.get("intermediate_size").getAsLong();
        long heads = c.get("num_attention_heads").getAsLong();
        long kvHeads = c.get("num_key_value_heads").getAsLong();
        long vocab = c.get("vocab_size").getAsLong();
        long headDim = hidden / heads;
        long kv = kvHeads * headDim;
        t.put("model.embed_tokens.weight", dims(vocab, hidden));
        for (int i = 0; i < c.get("num_hidden_layers").getAsInt(); i++) {
            String p = "model.layers." + i + ".";
            t.put(p + "input_layernorm.weight", dims(hidden));
            t.put(p + "post_attention_layernorm.weight", dims(hidden));
            t.put(p + "self_attn.q_proj.weight", dims(hidden, hidden));
            t.put(p + "self_attn.q_proj.bias", dims(hidden));
            t.put(p + "self_attn.k_proj.weight", dims(kv, hidden));
            t.put(p + "self_attn.k_proj.bias", dims(kv));
            t.put(p + "self_attn.v_proj.weight", dims(kv, hidden));
            t.put(p + "self_attn.v_proj.bias", dims(kv));
            t.put(p + "self_attn.o_proj.weight", dims(hidden, hidden));
            t.put(p + "mlp.gate_proj.weight", dims(inter, hidden));
            t.put(p + "mlp.up_proj.weight", dims(inter, hidden));
            t.put(p + "mlp.down_proj.weight", dims(hidden, inter));
        }
        t.put("model.norm.weight", dims(hidden));
        if (!c.has("tie_word_embeddings") || !c.get("tie_word_embeddings").getAsBoolean()) {
            t.put("lm_head.weight", dims(vocab, hidden));
        }
        JsonObject v = c.getAsJsonObject("vision_config");
        long vh = v.get("hidden_size").getAsLong();
        long vi = v.get("intermediate_size").getAsLong();
        long patch = v.get("patch_size").getAsLong();
        long temporal = v.get("temporal_patch_size").getAsLong();
        long merge = v.get("spatial_merge_size").getAsLong();
        long out = v.get("out_hidden_size").getAsLong();
        t.put("visual.patch_embed.proj.weight", dims(vh, v.get("in_chans").getAsLong(), temporal, patch, patch));
        for (int i = 0; i < v.get("depth").getAsInt(); i++) {
            String p = "visual.blocks." + i + ".";
            t.put(p + "norm1.weight", dims(vh));
            t.put(p + "norm2.weight", dims(vh));
            t.put(p + "attn.qkv.weight", dims(3 * vh, vh));
            t.put(p + "attn.qkv.bias", dims(3 * vh));
            t.put(p + "attn.proj.weight", dims(vh, vh));
            t.put(p + "attn.proj.bias", dims(vh));
            t.put(p + "mlp.gate_proj.weight", dims(vi, vh));
            t.put(p + "mlp.gate_proj.bias", dims(vi));
            t.put(p + "mlp.up_proj.weight", dims(vi, vh));
            t.put(p + "mlp.up_proj.bias", dims(vi));
            t.put(p + "mlp.down_proj.weight", dims(vh, vi));
            t.put(p + "mlp.down_proj.bias", dims(vh));
        }
        long merged = vh * merge * merge;
        t.put("visual.merger.ln_q.weight", dims(vh));
        t.put("visual.merger.mlp.0.weight", dims(merged, merged));
        t.put("visual.merger.mlp.0.bias", dims(merged));
        t.put("visual.merger.mlp.2.weight", dims(out, merged));
        t.put("visual.merger.mlp.2.bias", dims(out));
        return t;
    }

    /** The MVDream multi-view UNet in the LDM layout of {@code ashawkey/mvdream-sd2.1-diffusers} (linear proj_in). */
    public static Map<String, long[]> mvdreamUnet(JsonObject c) {
        Map<String, long[]> t = new LinkedHashMap<>();
        long mc = c.get("model_channels").getAsLong();
        int[] mult = ints(c.getAsJsonArray("channel_mult"));
        int[] attnRes = ints(c.getAsJsonArray("attention_resolutions"));
        int numRes = c.get("num_res_blocks").getAsInt();
        long ctx = c.get("context_dim").getAsLong();
        int depth = c.has("transformer_depth") ? c.get("transformer_depth").getAsInt() : 1;
        long emb = 4 * mc;
        t.put("time_embed.0.weight", dims(emb, mc));
        t.put("time_embed.0.bias", dims(emb));
        t.put("time_embed.2.weight", dims(emb, emb));
        t.put("time_embed.2.bias", dims(emb));
        if (c.has("camera_dim") && !c.get("camera_dim").isJsonNull()) {
            t.put("camera_embed.0.weight", dims(emb, c.get("camera_dim").getAsLong()));
            t.put("camera_embed.0.bias", dims(emb));
            t.put("camera_embed.2.weight", dims(emb, emb));
            t.put("camera_embed.2.bias", dims(emb));
        }
        long inCh = c.get("in_channels").getAsLong();
        conv(t, "input_blocks.0.0", mc, inCh, 3);
        List<Long> skips = new ArrayList<>();
        skips.add(mc);
        long ch = mc;
        int block = 1;
        for (int level = 0; level < mult.length; level++) {
            boolean attn = hasAttention(attnRes, level);
            for (int r = 0; r < numRes; r++) {
                long outCh = mc * mult[level];
                resBlock(t, "input_blocks." + block + ".0", ch, outCh, emb);
                ch = outCh;
                if (attn) {
                    transformer(t, "input_blocks." + block + ".1", ch, ctx, depth);
                }
                skips.add(ch);
                block++;
            }
            if (level < mult.length - 1) {
                conv(t, "input_blocks." + block + ".0.op", ch, ch, 3);
                skips.add(ch);
                block++;
            }
        }
        resBlock(t, "middle_block.0", ch, ch, emb);
        transformer(t, "middle_block.1", ch, ctx, depth);
        resBlock(t, "middle_block.2", ch, ch, emb);
        block = 0;
        for (int level = mult.length - 1; level >= 0; level--) {
            boolean attn = hasAttention(attnRes, level);
            for (int i = 0; i <= numRes; i++) {
                long skip = skips.remove(skips.size() - 1);
                long outCh = mc * mult[level];
                resBlock(t, "output_blocks." + block + ".0", ch + skip, outCh, emb);
                ch = outCh;
                int part = 1;
                if (attn) {
                    transformer(t, "output_blocks." + block + "." + part, ch, ctx, depth);
                    part++;
                }
                if (level > 0 && i == numRes) {
                    conv(t, "output_blocks." + block + "." + part + ".conv", ch, ch, 3);
                }
                block++;
            }
        }
        norm(t, "out.0", ch);
        conv(t, "out.2", c.get("out_channels").getAsLong(), ch, 3);
        return t;
    }

    /** The AutoencoderKL encoder and quant_conv (what the VAE encoder loads; the decoder is never used by SDS). */
    public static Map<String, long[]> vaeEncoder(JsonObject c) {
        Map<String, long[]> t = new LinkedHashMap<>();
        int[] widths = ints(c.getAsJsonArray("block_out_channels"));
        int layers = c.get("layers_per_block").getAsInt();
        long latent = c.get("latent_channels").getAsLong();
        conv(t, "encoder.conv_in", widths[0], c.get("in_channels").getAsLong(), 3);
        long ch = widths[0];
        for (int i = 0; i < widths.length; i++) {
            for (int j = 0; j < layers; j++) {
                vaeResnet(t, "encoder.down_blocks." + i + ".resnets." + j, ch, widths[i]);
                ch = widths[i];
            }
            if (i < widths.length - 1) {
                conv(t, "encoder.down_blocks." + i + ".downsamplers.0.conv", ch, ch, 3);
            }
        }
        vaeResnet(t, "encoder.mid_block.resnets.0", ch, ch);
        String a = "encoder.mid_block.attentions.0.";
        norm(t, a + "group_norm", ch);
        for (String proj : new String[] {"to_q", "to_k", "to_v", "to_out.0"}) {
            linear(t, a + proj, ch, ch, true);
        }
        vaeResnet(t, "encoder.mid_block.resnets.1", ch, ch);
        norm(t, "encoder.conv_norm_out", ch);
        conv(t, "encoder.conv_out", 2 * latent, ch, 3);
        conv(t, "quant_conv", 2 * latent, 2 * latent, 1);
        return t;
    }

    /** The CLIP text encoder with the {@code text_model.} prefix of the transformers checkpoints. */
    public static Map<String, long[]> clipText(JsonObject c) {
        Map<String, long[]> t = new LinkedHashMap<>();
        long hidden = c.get("hidden_size").getAsLong();
        long inter = c.get("intermediate_size").getAsLong();
        t.put(
                "text_model.embeddings.token_embedding.weight",
                dims(c.get("vocab_size").getAsLong(), hidden));
        t.put(
                "text_model.embeddings.position_embedding.weight",
                dims(c.get("max_position_embeddings").getAsLong(), hidden));
        for (int i = 0; i < c.get("num_hidden_layers").getAsInt(); i++) {
            String p = "text_model.encoder.layers." + i + ".";
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                linear(t, p + "self_attn." + proj, hidden, hidden, true);
            }
            norm(t, p + "layer_norm1", hidden);
            norm(t, p + "layer_norm2", hidden);
            linear(t, p + "mlp.fc1", inter, hidden, true);
            linear(t, p + "mlp.fc2", hidden, inter, true);
        }
        norm(t, "text_model.final_layer_norm", hidden);
        return t;
    }

    /** Σ numel. */
    public static long parameters(Map<String, long[]> shapes) {
        long n = 0;
        for (long[] s : shapes.values()) {
            long k = 1;
            for (long d : s) {
                k *= d;
            }
            n += k;
        }
        return n;
    }

    private static boolean hasAttention(int[] attnRes, int level) {
        for (int r : attnRes) {
            if (r == 1 << level) {
                return true;
            }
        }
        return false;
    }

    private static void resBlock(Map<String, long[]> t, String p, long in, long out, long emb) {
        norm(t, p + ".in_layers.0", in);
        conv(t, p + ".in_layers.2", out, in, 3);
        linear(t, p + ".emb_layers.1", out, emb, true);
        norm(t, p + ".out_layers.0", out);
        conv(t, p + ".out_layers.3", out, out, 3);
        if (in != out) {
            conv(t, p + ".skip_connection", out, in, 1);
        }
    }

    private static void transformer(Map<String, long[]> t, String p, long ch, long ctx, int depth) {
        norm(t, p + ".norm", ch);
        linear(t, p + ".proj_in", ch, ch, true);
        for (int d = 0; d < depth; d++) {
            String b = p + ".transformer_blocks." + d + ".";
            linear(t, b + "attn1.to_q", ch, ch, false);
            linear(t, b + "attn1.to_k", ch, ch, false);
            linear(t, b + "attn1.to_v", ch, ch, false);
            linear(t, b + "attn1.to_out.0", ch, ch, true);
            linear(t, b + "attn2.to_q", ch, ch, false);
            linear(t, b + "attn2.to_k", ch, ctx, false);
            linear(t, b + "attn2.to_v", ch, ctx, false);
            linear(t, b + "attn2.to_out.0", ch, ch, true);
            linear(t, b + "ff.net.0.proj", 8 * ch, ch, true);
            linear(t, b + "ff.net.2", ch, 4 * ch, true);
            norm(t, b + "norm1", ch);
            norm(t, b + "norm2", ch);
            norm(t, b + "norm3", ch);
        }
        linear(t, p + ".proj_out", ch, ch, true);
    }

    private static void vaeResnet(Map<String, long[]> t, String p, long in, long out) {
        norm(t, p + ".norm1", in);
        conv(t, p + ".conv1", out, in, 3);
        norm(t, p + ".norm2", out);
        conv(t, p + ".conv2", out, out, 3);
        if (in != out) {
            conv(t, p + ".conv_shortcut", out, in, 1);
        }
    }

    private static void conv(Map<String, long[]> t, String p, long out, long in, long k) {
        t.put(p + ".weight", dims(out, in, k, k));
        t.put(p + ".bias", dims(out));
    }

    private static void linear(Map<String, long[]> t, String p, long out, long in, boolean bias) {
        t.put(p + ".weight", dims(out, in));
        if (bias) {
            t.put(p + ".bias", dims(out));
        }
    }

    private static void norm(Map<String, long[]> t, String p, long ch) {
        t.put(p + ".weight", dims(ch));
        t.put(p + ".bias", dims(ch));
    }

    private static long[] dims(long... d) {
        return d;
    }

    private static int[] ints(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }
}
