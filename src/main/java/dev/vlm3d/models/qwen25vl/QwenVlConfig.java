package dev.vlm3d.models.qwen25vl;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.weights.WeightsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Qwen2.5-VL configuration read from a checkpoint's {@code config.json}.
 *
 * <p>Two layouts exist and both are accepted: the original hub file (text fields at the top level,
 * {@code rope_scaling}, {@code in_chans}) and what transformers 5 writes (a nested {@code text_config},
 * {@code rope_parameters}, {@code in_channels}). Class defaults of transformers are never used as fallbacks for
 * sizes, because they differ from the checkpoints (vision hidden 3584, rms eps 1e-5); a missing size is an error.
 */
public record QwenVlConfig(Vision vision, Text text, int imageTokenId, int visionStartTokenId, int visionEndTokenId) {

    /** Vision tower ({@code vision_config}). */
    public record Vision(
            int depth,
            int hiddenSize,
            int numHeads,
            int intermediateSize,
            int outHiddenSize,
            int patchSize,
            int temporalPatchSize,
            int spatialMergeSize,
            int inChannels,
            int windowSize,
            int[] fullAttentionBlocks,
            double ropeTheta) {

        public int headDim() {
            return hiddenSize / numHeads;
        }

        /** Input features of one patch: C·T·P·P (1176 for the real model). */
        public int patchFeatures() {
            return inChannels * temporalPatchSize * patchSize * patchSize;
        }

        /** Side of an attention window in merged units (4 for the real model). */
        public int windowUnits() {
            return windowSize / spatialMergeSize / patchSize;
        }

        public boolean isFullAttention(int block) {
            for (int b : fullAttentionBlocks) {
                if (b == block) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Qwen2 decoder. */
    public record Text(
            int numLayers,
            int hiddenSize,
            int numHeads,
            int numKvHeads,
            int headDim,
            int intermediateSize,
            int vocabSize,
            double rmsNormEps,
            double ropeTheta,
            int[] mropeSection,
            boolean tieWordEmbeddings) {}

    public static QwenVlConfig read(Path configJsonOrFolder) {
        Path file =
                Files.isDirectory(configJsonOrFolder) ? configJsonOrFolder.resolve("config.json") : configJsonOrFolder;
        try {
            return parse(JsonParser.parseString(Files.readString(file)).getAsJsonObject());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public static QwenVlConfig parse(JsonObject root) {
        JsonObject textJson = root.has("text_config") && root.get("text_config").isJsonObject()
                ? root.getAsJsonObject("text_config")
                : root;
        JsonObject visionJson = root.getAsJsonObject("vision_config");
        if (visionJson == null) {
            throw new WeightsException("config.json has no vision_config");
        }
        int visionHidden = requireInt(visionJson, "hidden_size");
        int patch = firstInt(visionJson, "patch_size", "spatial_patch_size");
        Vision vision = new Vision(
                requireInt(visionJson, "depth"),
                visionHidden,
                requireInt(visionJson, "num_heads"),
                requireInt(visionJson, "intermediate_size"),
                requireInt(visionJson, "out_hidden_size"),
                patch,
                requireInt(visionJson, "temporal_patch_size"),
                requireInt(visionJson, "spatial_merge_size"),
                optInt(visionJson, 3, "in_channels", "in_chans"),
                requireInt(visionJson, "window_size"),
                intArray(visionJson.getAsJsonArray("fullatt_block_indexes")),
                ropeTheta(visionJson, 10000.0));

        int hidden = requireInt(textJson, "hidden_size");
        int heads = requireInt(textJson, "num_attention_heads");
        JsonObject rope = ropeObject(textJson, root);
        if (rope == null || !rope.has("mrope_section")) {
            throw new WeightsException("config.json has no mrope_section (rope_scaling / rope_parameters)");
        }
        double theta = rope.has("rope_theta")
                ? rope.get("rope_theta").getAsDouble()
                : textJson.has("rope_theta")
                        ? textJson.get("rope_theta").getAsDouble()
                        : root.has("rope_theta") ? root.get("rope_theta").getAsDouble() : Double.NaN;
        if (Double.isNaN(theta)) {
            throw new WeightsException("config.json has no rope_theta");
        }
        boolean tied = textJson.has("tie_word_embeddings")
                ? textJson.get("tie_word_embeddings").getAsBoolean()
                : root.has("tie_word_embeddings")
                        && root.get("tie_word_embeddings").getAsBoolean();
        if (root.has("tie_word_embeddings") && root != textJson) {
            tied = root.get("tie_word_embeddings").getAsBoolean();
        }
        Text text = new Text(
                requireInt(textJson, "num_hidden_layers"),
                hidden,
                heads,
                requireInt(textJson, "num_key_value_heads"),
                textJson.has("head_dim") && !textJson.get("head_dim").isJsonNull()
                        ? textJson.get("head_dim").getAsInt()
                        : hidden / heads,
                requireInt(textJson, "intermediate_size"),
                requireInt(textJson, "vocab_size"),
                requireDouble(textJson, "rms_norm_eps"),
                theta,
                intArray(rope.getAsJsonArray("mrope_section")),
                tied);
        int imageToken = firstInt(root, "image_token_id");
        int visionStart = firstInt(root, "vision_start_token_id");
        int visionEnd = firstInt(root, "vision_end_token_id");
        QwenVlConfig config = new QwenVlConfig(vision, text, imageToken, visionStart, visionEnd);
        config.validate();
        return config;
    }

    private void validate() {
        int sectionSum = 0;
        for (int s : text.mropeSection()) {
            sectionSum += s;
        }
        if (sectionSum * 2 != text.headDim()) {
            throw new WeightsException(
                    "mrope_section sums to " + sectionSum + " but head_dim/2 is " + text.headDim() / 2);
        }
        if (text.numHeads() % text.numKvHeads() != 0) {
            throw new WeightsException("num_attention_heads must be a multiple of num_key_value_heads");
        }
        if (vision.headDim() % 4 != 0) {
            throw new WeightsException("vision head_dim must be divisible by 4 (two rotary halves)");
        }
        if (vision.windowUnits() < 1 || vision.windowSize() % (vision.spatialMergeSize() * vision.patchSize()) != 0) {
            throw new WeightsException("window_size must be a positive multiple of patch_size·spatial_merge_size");
        }
        for (int b : vision.fullAttentionBlocks()) {
            if (b < 0 || b >= vision.depth()) {
                throw new WeightsException("fullatt_block_indexes entry " + b + " outside 0.." + vision.depth());
            }
        }
    }

    private static JsonObject ropeObject(JsonObject text, JsonObject root) {
        for (JsonObject o : new JsonObject[] {text, root}) {
            for (String key : new String[] {"rope_parameters", "rope_scaling"}) {
                if (o.has(key) && o.get(key).isJsonObject()) {
                    return o.getAsJsonObject(key);
                }
            }
        }
        return null;
    }

    private static double ropeTheta(JsonObject vision, double fallback) {
        if (vision.has("rope_parameters")
                && vision.get("rope_parameters").isJsonObject()
                && vision.getAsJsonObject("rope_parameters").has("rope_theta")) {
            return vision.getAsJsonObject("rope_parameters").get("rope_theta").getAsDouble();
        }
        if (vision.has("rope_theta")) {
            return vision.get("rope_theta").getAsDouble();
        }
        // The hub vision_config has no theta: the reference hard-codes 10000.
        return fallback;
    }

    private static int requireInt(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            throw new WeightsException("config.json is missing " + key);
        }
        return e.getAsInt();
    }

    private static double requireDouble(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            throw new WeightsException("config.json is missing " + key);
        }
        return e.getAsDouble();
    }

    private static int firstInt(JsonObject o, String... keys) {
        for (String k : keys) {
            if (o.has(k) && !o.get(k).isJsonNull()) {
                return o.get(k).getAsInt();
            }
        }
        throw new WeightsException("config.json is missing " + String.join(" / ", keys));
    }

    private static int optInt(JsonObject o, int fallback, String... keys) {
        for (String k : keys) {
            if (o.has(k) && !o.get(k).isJsonNull()) {
                return o.get(k).getAsInt();
            }
        }
        return fallback;
    }

    private static int[] intArray(JsonArray a) {
        if (a == null) {
            throw new WeightsException("config.json is missing an integer list");
        }
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }
}
