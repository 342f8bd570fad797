package dev.vlm3d.models.mvdream;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The UNet hyper-parameters in one form, read either from the MVDream port's LDM-style config
 * ({@code model_channels}, {@code channel_mult}, {@code attention_resolutions}, {@code camera_dim}; tensor names
 * {@code input_blocks.N...}) or from a diffusers {@code UNet2DConditionModel} config ({@code block_out_channels},
 * {@code down_block_types}; tensor names {@code down_blocks.L...}), as plain Stable Diffusion 2.1 folders ship it.
 *
 * @param levelChannels   channel width per resolution level
 * @param attentionAtLevel whether the level's blocks carry a spatial transformer (the middle block always does)
 * @param headChannels    channels per attention head when fixed (LDM {@code num_head_channels}), else ≤ 0
 * @param headsAtLevel    heads per level when {@code headChannels} ≤ 0
 * @param cameraDim       width of the camera condition (0: no camera embedding, a plain SD UNet)
 * @param sampleSize      the latent side the model was trained at
 */
public record UNetConfig(
        Naming naming,
        int inChannels,
        int outChannels,
        int modelChannels,
        int[] levelChannels,
        int numResBlocks,
        boolean[] attentionAtLevel,
        int headChannels,
        int[] headsAtLevel,
        int contextDim,
        int cameraDim,
        int transformerDepth,
        int sampleSize,
        int normGroups,
        float resnetEps) {

    /** Which checkpoint naming scheme the weights use. */
    public enum Naming {
        LDM,
        DIFFUSERS
    }

    public static UNetConfig load(Path configJson) {
        try {
            JsonObject c = JsonParser.parseString(Files.readString(configJson)).getAsJsonObject();
            return c.has("model_channels") ? fromLdm(c) : fromDiffusers(c);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + configJson, e);
        }
    }

    private static UNetConfig fromLdm(JsonObject c) {
        // variants of the LDM UNet this code does not implement; refuse rather than compute something else
        requireAbsentOrEqual(c, "use_scale_shift_norm", false);
        requireAbsentOrEqual(c, "resblock_updown", false);
        requireAbsentOrEqual(c, "use_spatial_transformer", true);
        requireAbsentOrEqual(c, "num_classes", null);
        int model = c.get("model_channels").getAsInt();
        int[] mult = ints(c.getAsJsonArray("channel_mult"));
        int[] attnRes = ints(c.getAsJsonArray("attention_resolutions"));
        int[] widths = new int[mult.length];
        boolean[] attn = new boolean[mult.length];
        for (int level = 0; level < mult.length; level++) {
            widths[level] = model * mult[level];
            int ds = 1 << level;
            for (int r : attnRes) {
                attn[level] |= r == ds;
            }
        }
        int headChannels = intOr(c, "num_head_channels", -1);
        int numHeads = intOr(c, "num_heads", -1);
        int[] heads = new int[mult.length];
        java.util.Arrays.fill(heads, numHeads);
        if (headChannels <= 0 && numHeads <= 0) {
            throw new IllegalArgumentException("UNet config sets neither num_head_channels nor num_heads");
        }
        return new UNetConfig(
                Naming.LDM,
                intOr(c, "in_channels", 4),
                intOr(c, "out_channels", 4),
                model,
                widths,
                c.get("num_res_blocks").getAsInt(),
                attn,
                headChannels,
                heads,
                c.get("context_dim").getAsInt(),
                intOr(c, "camera_dim", 0),
                intOr(c, "transformer_depth", 1),
                intOr(c, "image_size", 32),
                32,
                1e-5f);
    }

    private static UNetConfig fromDiffusers(JsonObject c) {
        requireAbsentOrEqual(c, "flip_sin_to_cos", true);
        requireAbsentOrEqual(c, "freq_shift", 0);
        requireAbsentOrEqual(c, "resnet_time_scale_shift", "default");
        requireAbsentOrEqual(c, "class_embed_type", null);
        requireAbsentOrEqual(c, "addition_embed_type", null);
        requireAbsentOrEqual(c, "time_embedding_type", "positional");
        requireAbsentOrEqual(c, "only_cross_attention", false);
        requireAbsentOrEqual(c, "dual_cross_attention", false);
        int[] widths = ints(c.getAsJsonArray("block_out_channels"));
        JsonArray types = c.getAsJsonArray("down_block_types");
        boolean[] attn = new boolean[widths.length];
        for (int i = 0; i < widths.length; i++) {
            attn[i] = types.get(i).getAsString().startsWith("CrossAttn");
        }
        // diffusers' SD 2 configs put the head COUNT into attention_head_dim (a known naming slip it keeps for
        // compatibility); num_attention_heads, when present, wins
        JsonElement headsJson =
                c.has("num_attention_heads") && !c.get("num_attention_heads").isJsonNull()
                        ? c.get("num_attention_heads")
                        : c.get("attention_head_dim");
        int[] heads = new int[widths.length];
        if (headsJson.isJsonArray()) {
            heads = ints(headsJson.getAsJsonArray());
        } else {
            java.util.Arrays.fill(heads, headsJson.getAsInt());
        }
        JsonElement depth = c.get("transformer_layers_per_block");
        int transformerDepth = depth == null || depth.isJsonNull()
                ? 1
                : depth.isJsonArray() ? depth.getAsJsonArray().get(0).getAsInt() : depth.getAsInt();
        int camera = c.has("camera_dim") && !c.get("camera_dim").isJsonNull()
                ? c.get("camera_dim").getAsInt()
                : 0;
        if (camera > 0) {
            throw new IllegalArgumentException("a camera embedding is only supported with the LDM-named UNet");
        }
        return new UNetConfig(
                Naming.DIFFUSERS,
                intOr(c, "in_channels", 4),
                intOr(c, "out_channels", 4),
                widths[0],
                widths,
                intOr(c, "layers_per_block", 2),
                attn,
                -1,
                heads,
                c.get("cross_attention_dim").getAsInt(),
                0,
                transformerDepth,
                intOr(c, "sample_size", 64),
                intOr(c, "norm_num_groups", 32),
                c.has("norm_eps") ? c.get("norm_eps").getAsFloat() : 1e-5f);
    }

    /** A config field that, if present, must have the one value this implementation supports. */
    private static void requireAbsentOrEqual(JsonObject c, String key, Object supported) {
        JsonElement e = c.get(key);
        if (e == null || (e.isJsonNull() && supported == null)) {
            return;
        }
        if (e.isJsonArray()) {
            // per-block settings, e.g. only_cross_attention: [false, false, false, false]
            for (JsonElement item : e.getAsJsonArray()) {
                JsonObject single = new JsonObject();
                single.add(key, item);
                requireAbsentOrEqual(single, key, supported);
            }
            return;
        }
        boolean ok;
        if (supported == null) {
            ok = false;
        } else if (supported instanceof Boolean b) {
            ok = e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean() && e.getAsBoolean() == b;
        } else if (supported instanceof Integer i) {
            ok = e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() && e.getAsDouble() == i;
        } else {
            ok = e.isJsonPrimitive() && e.getAsString().equals(supported);
        }
        if (!ok) {
            throw new IllegalArgumentException(
                    "unsupported UNet config: " + key + " = " + e + " (supported: " + supported + ")");
        }
    }

    private static int[] ints(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    private static int intOr(JsonObject c, String key, int fallback) {
        return c.has(key) && !c.get(key).isJsonNull() ? c.get(key).getAsInt() : fallback;
    }

    public int levels() {
        return levelChannels.length;
    }

    public int timeEmbedDim() {
        return 4 * modelChannels;
    }

    /** Attention heads of a transformer at {@code level} with {@code channels} channels. */
    public int heads(int level, int channels) {
        return headChannels > 0 ? channels / headChannels : headsAtLevel[level];
    }
}
