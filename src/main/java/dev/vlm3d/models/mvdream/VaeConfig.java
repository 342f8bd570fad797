package dev.vlm3d.models.mvdream;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The encoder-side fields of a diffusers {@code AutoencoderKL} config.json. */
public record VaeConfig(
        int inChannels,
        int[] blockOutChannels,
        int layersPerBlock,
        int normNumGroups,
        int latentChannels,
        double scalingFactor,
        int sampleSize) {

    public static VaeConfig load(Path configJson) {
        try {
            JsonObject c = JsonParser.parseString(Files.readString(configJson)).getAsJsonObject();
            JsonArray b = c.getAsJsonArray("block_out_channels");
            int[] blocks = new int[b.size()];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = b.get(i).getAsInt();
            }
            String act = c.has("act_fn") ? c.get("act_fn").getAsString() : "silu";
            if (!act.equals("silu") && !act.equals("swish")) {
                throw new IllegalArgumentException("unsupported VAE act_fn " + act);
            }
            return new VaeConfig(
                    intOr(c, "in_channels", 3),
                    blocks,
                    intOr(c, "layers_per_block", 1),
                    intOr(c, "norm_num_groups", 32),
                    intOr(c, "latent_channels", 4),
                    c.has("scaling_factor") ? c.get("scaling_factor").getAsDouble() : 0.18215,
                    intOr(c, "sample_size", 256));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + configJson, e);
        }
    }

    private static int intOr(JsonObject c, String key, int fallback) {
        return c.has(key) && !c.get(key).isJsonNull() ? c.get(key).getAsInt() : fallback;
    }

    /** Pixels per latent cell: the encoder halves the resolution after every block but the last. */
    public int downscaleFactor() {
        return 1 << (blockOutChannels.length - 1);
    }
}
