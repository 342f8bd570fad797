package dev.vlm3d.models.clip;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The fields of a Hugging Face {@code CLIPTextModel} config.json that the forward pass needs. */
public record ClipTextConfig(
        int hiddenSize,
        int numHeads,
        int numLayers,
        int intermediateSize,
        int maxPositions,
        int vocabSize,
        float layerNormEps,
        String hiddenAct) {

    public static ClipTextConfig load(Path configJson) {
        try {
            JsonObject c = JsonParser.parseString(Files.readString(configJson)).getAsJsonObject();
            // a full CLIPModel config nests the text tower
            if (c.has("text_config")) {
                c = c.getAsJsonObject("text_config");
            }
            return new ClipTextConfig(
                    c.get("hidden_size").getAsInt(),
                    c.get("num_attention_heads").getAsInt(),
                    c.get("num_hidden_layers").getAsInt(),
                    c.get("intermediate_size").getAsInt(),
                    c.has("max_position_embeddings")
                            ? c.get("max_position_embeddings").getAsInt()
                            : 77,
                    c.get("vocab_size").getAsInt(),
                    c.has("layer_norm_eps") ? c.get("layer_norm_eps").getAsFloat() : 1e-5f,
                    c.has("hidden_act") ? c.get("hidden_act").getAsString() : "quick_gelu");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + configJson, e);
        }
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }
}
