package dev.vlm3d.engine.guidance;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.weights.SafetensorsCheckpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Builds plain Stable Diffusion folders from an MVDream fixture model, for the SD 2.1 backbone tests: the UNet
 * without its camera embedding, once under the LDM names and once renamed to diffusers' {@code UNet2DConditionModel}
 * names with a diffusers config (the renaming here is written independently of the loader's name mapping).
 */
final class StableDiffusionFolders {

    private StableDiffusionFolders() {}

    /** An LDM-named UNet folder without camera_embed.* and camera_dim. */
    static Path ldmUNetWithoutCamera(Path mvdreamModel, Path out) throws IOException {
        Path dir = Files.createDirectories(out.resolve("unet"));
        JsonObject config = readJson(mvdreamModel.resolve("unet/config.json"));
        config.remove("camera_dim");
        Files.writeString(dir.resolve("config.json"), new Gson().toJson(config));
        Map<String, float[]> tensors = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(mvdreamModel.resolve("unet"))) {
            for (String name : ckpt.names()) {
                if (!name.startsWith("camera_embed.")) {
                    tensors.put(name, ckpt.loadFloats(name));
                    shapes.put(name, ckpt.info(name).shape());
                }
            }
        }
        writeSafetensors(dir.resolve("diffusion_pytorch_model.safetensors"), tensors, shapes);
        return out;
    }

    /** A complete SD-layout folder whose UNet uses diffusers names; other parts are copied from the fixture. */
    static Path diffusersFolder(Path mvdreamModel, Path out) throws IOException {
        for (String part : new String[] {"text_encoder", "tokenizer", "vae", "scheduler"}) {
            copyTree(mvdreamModel.resolve(part), out.resolve(part));
        }
        Path dir = Files.createDirectories(out.resolve("unet"));
        JsonObject ldm = readJson(mvdreamModel.resolve("unet/config.json"));
        int model = ldm.get("model_channels").getAsInt();
        JsonArray mult = ldm.getAsJsonArray("channel_mult");
        JsonArray attnRes = ldm.getAsJsonArray("attention_resolutions");
        int headChannels = ldm.get("num_head_channels").getAsInt();
        int numRes = ldm.get("num_res_blocks").getAsInt();
        int levels = mult.size();
        JsonArray widths = new JsonArray();
        JsonArray heads = new JsonArray();
        JsonArray down = new JsonArray();
        boolean[] attn = new boolean[levels];
        for (int l = 0; l < levels; l++) {
            int w = model * mult.get(l).getAsInt();
            widths.add(w);
            heads.add(w / headChannels);
            for (var r : attnRes) {
                attn[l] |= r.getAsInt() == (1 << l);
            }
            down.add(attn[l] ? "CrossAttnDownBlock2D" : "DownBlock2D");
        }
        JsonArray up = new JsonArray();
        for (int l = levels - 1; l >= 0; l--) {
            up.add(attn[l] ? "CrossAttnUpBlock2D" : "UpBlock2D");
        }
        JsonObject config = new JsonObject();
        config.addProperty("_class_name", "UNet2DConditionModel");
        config.add("block_out_channels", widths);
        config.add("down_block_types", down);
        config.add("up_block_types", up);
        config.addProperty("layers_per_block", numRes);
        // SD 2.x configs store the head COUNT here
        config.add("attention_head_dim", heads);
        config.addProperty("cross_attention_dim", ldm.get("context_dim").getAsInt());
        config.addProperty("in_channels", ldm.get("in_channels").getAsInt());
        config.addProperty("out_channels", ldm.get("out_channels").getAsInt());
        config.addProperty("sample_size", ldm.get("image_size").getAsInt());
        config.addProperty("norm_num_groups", 32);
        config.addProperty("norm_eps", 1e-5);
        config.addProperty("use_linear_projection", true);
        Files.writeString(dir.resolve("config.json"), new Gson().toJson(config));

        Map<String, float[]> tensors = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(mvdreamModel.resolve("unet"))) {
            for (String name : ckpt.names()) {
                String renamed = diffusersName(name, numRes);
                if (renamed != null) {
                    tensors.put(renamed, ckpt.loadFloats(name));
                    shapes.put(renamed, ckpt.info(name).shape());
                }
            }
        }
        writeSafetensors(dir.resolve("diffusion_pytorch_model.safetensors"), tensors, shapes);
        return out;
    }

    /** LDM UNet name → diffusers name; null for the camera embedding, which SD does not have. */
    static String diffusersName(String ldm, int numRes) {
        String[] p = ldm.split("\\.", -1);
        if (p[0].equals("camera_embed")) {
            return null;
        }
        if (p[0].equals("time_embed")) {
            return "time_embedding.linear_" + (p[1].equals("0") ? 1 : 2) + "." + p[2];
        }
        if (p[0].equals("out")) {
            return (p[1].equals("0") ? "conv_norm_out." : "conv_out.") + p[2];
        }
        if (p[0].equals("middle_block")) {
            String rest = tail(p, 2);
            return switch (p[1]) {
                case "0" -> "mid_block.resnets.0." + resnet(rest);
                case "1" -> "mid_block.attentions.0." + rest;
                default -> "mid_block.resnets.1." + resnet(rest);
            };
        }
        int k = Integer.parseInt(p[1]);
        String rest = tail(p, 3);
        if (p[0].equals("input_blocks")) {
            if (k == 0) {
                return "conv_in." + rest;
            }
            int level = (k - 1) / (numRes + 1);
            int j = (k - 1) % (numRes + 1);
            if (j == numRes) {
                return "down_blocks." + level + ".downsamplers.0.conv." + tail(p, 4);
            }
            return p[2].equals("0")
                    ? "down_blocks." + level + ".resnets." + j + "." + resnet(rest)
                    : "down_blocks." + level + ".attentions." + j + "." + rest;
        }
        int r = k / (numRes + 1);
        int i = k % (numRes + 1);
        if (p[2].equals("0")) {
            return "up_blocks." + r + ".resnets." + i + "." + resnet(rest);
        }
        if (p[3].equals("conv")) {
            return "up_blocks." + r + ".upsamplers.0.conv." + tail(p, 4);
        }
        return "up_blocks." + r + ".attentions." + i + "." + rest;
    }

    private static String resnet(String rest) {
        return rest.replace("in_layers.0.", "norm1.")
                .replace("in_layers.2.", "conv1.")
                .replace("emb_layers.1.", "time_emb_proj.")
                .replace("out_layers.0.", "norm2.")
                .replace("out_layers.3.", "conv2.")
                .replace("skip_connection.", "conv_shortcut.");
    }

    private static String tail(String[] parts, int from) {
        return String.join(".", java.util.Arrays.copyOfRange(parts, from, parts.length));
    }

    private static JsonObject readJson(Path p) throws IOException {
        return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }

    static void writeSafetensors(Path file, Map<String, float[]> tensors, Map<String, long[]> shapes)
            throws IOException {
        JsonObject header = new JsonObject();
        long offset = 0;
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            JsonObject t = new JsonObject();
            t.addProperty("dtype", "F32");
            JsonArray shape = new JsonArray();
            for (long d : shapes.get(e.getKey())) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offset += 4L * e.getValue().length;
            offsets.add(offset);
            t.add("data_offsets", offsets);
            header.add(e.getKey(), t);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(file)) {
            ByteBuffer len =
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length);
            out.write(len.array());
            out.write(json);
            for (float[] values : tensors.values()) {
                ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(values);
                out.write(b.array());
            }
        }
    }
}
