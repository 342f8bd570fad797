package dev.vlm3d.bench;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.engine.guidance.MvDreamGuidanceModel;
import dev.vlm3d.engine.guidance.SdsOptions;
import dev.vlm3d.engine.reward.QwenVlReward;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
import dev.vlm3d.weights.TensorSources;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Qwen2.5-VL-7B and MVDream at their real configs (or scaled-down versions of them) with random weights generated on
 * the device. Only configs, tokenizers and the scheduler config are written (a few KB, into a temporary folder); the
 * tensors come from {@link RandomWeights} through {@link TensorSources#override}, so the regular loaders build the
 * networks exactly as from a checkpoint.
 *
 * <p>The tokenizers are the tiny model set's (the real ones are not in the repository): the 7B config gets the tiny
 * tokenizer's special-token ids, and prompts tokenize into somewhat more, shorter tokens than with the real vocabulary.
 * Image tokens, which dominate the VLM's sequence, are unaffected.
 */
final class RealSizeModels implements AutoCloseable {

    /** Network sizes. */
    enum Size {
        /** The published configs: Qwen2.5-VL-7B-Instruct and mvdream-sd2.1-diffusers. */
        REAL,
        /** The same architectures, narrowed and shallowed so that a step runs on a CPU in seconds. */
        REDUCED
    }

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final Path root;
    private final List<TensorSources.Registration> registrations = new ArrayList<>();
    private final Map<String, Long> parameters = new LinkedHashMap<>();
    private MvDreamGuidanceModel guidance;
    private QwenVlReward reward;

    private RealSizeModels(Path root) {
        this.root = root;
    }

    /** Writes the config folders and registers the generated weights; loads nothing yet. */
    static RealSizeModels prepare(Size size) {
        try {
            RealSizeModels m = new RealSizeModels(Files.createTempDirectory("vlm3d-realsize-"));
            m.writeFolders(size);
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parameter counts per network (of the tensors generated). */
    Map<String, Long> parameters() {
        return parameters;
    }

    /** Bytes the weights take at these precisions (norm weights of the VLM stay float32; ignored here, < 0.01 %). */
    long weightBytes(QwenVlPrecision vlm, DataType diffusion) {
        long vlmBytes = parameters.get("qwen25vl") * (vlm == QwenVlPrecision.FP32 ? 4 : 2);
        long frozen =
                (parameters.get("unet") + parameters.get("text_encoder")) * (diffusion == DataType.FLOAT16 ? 2 : 4);
        return vlmBytes + frozen + parameters.get("vae_encoder") * 4;
    }

    /** Builds both networks on {@code device}; closes what was built if a later part fails. */
    void load(Device device, QwenVlPrecision vlmPrecision, DataType diffusionType) {
        closeModels();
        guidance = MvDreamGuidanceModel.load(
                root.resolve("mvdream"), device, SdsOptions.mvdream().withFrozenDataType(diffusionType));
        reward = QwenVlReward.load(root.resolve("qwen25vl"), device, vlmPrecision);
    }

    MvDreamGuidanceModel guidance() {
        return guidance;
    }

    QwenVlReward reward() {
        return reward;
    }

    /** Frees the networks (the folders and weight registrations stay for another precision). */
    void closeModels() {
        if (reward != null) {
            reward.close();
            reward = null;
        }
        if (guidance != null) {
            guidance.close();
            guidance = null;
        }
    }

    @Override
    public void close() {
        closeModels();
        registrations.forEach(TensorSources.Registration::close);
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary folder of a few KB
        }
    }

    private void writeFolders(Size size) throws IOException {
        JsonObject tinyQwen = resourceJson("tiny-models/qwen25vl/config.json");
        JsonObject qwen = resourceJson("configs/qwen2.5-vl-7b-instruct.config.json");
        for (String id : new String[] {
            "bos_token_id",
            "eos_token_id",
            "vision_start_token_id",
            "vision_end_token_id",
            "vision_token_id",
            "image_token_id",
            "video_token_id"
        }) {
            qwen.add(id, tinyQwen.get(id));
        }
        JsonObject unet = resourceJson("configs/mvdream-sd2.1-diffusers/unet/config.json");
        JsonObject vae = resourceJson("configs/mvdream-sd2.1-diffusers/vae/config.json");
        JsonObject clip = resourceJson("configs/mvdream-sd2.1-diffusers/text_encoder/config.json");
        if (size == Size.REDUCED) {
            reduce(qwen, unet, vae, clip);
        }
        Path q = Files.createDirectories(root.resolve("qwen25vl"));
        writeJson(q.resolve("config.json"), qwen);
        for (String f : new String[] {
            "tokenizer.json", "tokenizer_config.json", "chat_template.json", "preprocessor_config.json"
        }) {
            copyResource("tiny-models/qwen25vl/" + f, q.resolve(f));
        }
        Path mv = Files.createDirectories(root.resolve("mvdream"));
        for (String f : new String[] {
            "model_index.json",
            "scheduler/scheduler_config.json",
            "tokenizer/vocab.json",
            "tokenizer/merges.txt",
            "tokenizer/tokenizer_config.json",
            "tokenizer/special_tokens_map.json"
        }) {
            copyResource("tiny-models/mvdream/" + f, mv.resolve(f));
        }
        writeJson(mv.resolve("unet/config.json"), unet);
        writeJson(mv.resolve("vae/config.json"), vae);
        writeJson(mv.resolve("text_encoder/config.json"), clip);

        register("qwen25vl", q, CheckpointShapes.qwen25vl(qwen));
        register("unet", mv.resolve("unet"), CheckpointShapes.mvdreamUnet(unet));
        register("vae_encoder", mv.resolve("vae"), CheckpointShapes.vaeEncoder(vae));
        register("text_encoder", mv.resolve("text_encoder"), CheckpointShapes.clipText(clip));
    }

    /**
     * Keeps every architectural feature (head dimensions 128 and 80, the M-RoPE split, windowed and full vision
     * attention, four UNet levels with attention on three, the VAE's four levels) at a fraction of the width and depth.
     */
    private static void reduce(JsonObject qwen, JsonObject unet, JsonObject vae, JsonObject clip) {
        qwen.addProperty("hidden_size", 256);
        qwen.addProperty("num_attention_heads", 2);
        qwen.addProperty("num_key_value_heads", 1);
        qwen.addProperty("intermediate_size", 512);
        qwen.addProperty("num_hidden_layers", 2);
        qwen.addProperty("max_window_layers", 2);
        qwen.addProperty("vocab_size", 1024);
        JsonObject v = qwen.getAsJsonObject("vision_config");
        v.addProperty("hidden_size", 160);
        v.addProperty("num_heads", 2);
        v.addProperty("intermediate_size", 256);
        v.addProperty("depth", 4);
        JsonArray full = new JsonArray();
        full.add(1);
        full.add(3);
        v.add("fullatt_block_indexes", full);
        v.addProperty("out_hidden_size", 256);
        unet.addProperty("model_channels", 32);
        unet.addProperty("num_head_channels", 16);
        unet.addProperty("context_dim", 64);
        unet.addProperty("image_size", 8);
        JsonArray widths = new JsonArray();
        for (int w : new int[] {32, 32, 64, 64}) {
            widths.add(w);
        }
        vae.add("block_out_channels", widths);
        vae.addProperty("sample_size", 64);
        clip.addProperty("hidden_size", 64);
        clip.addProperty("num_attention_heads", 1);
        clip.addProperty("intermediate_size", 256);
        clip.addProperty("num_hidden_layers", 2);
        clip.addProperty("vocab_size", 1024);
    }

    private void register(String network, Path folder, Map<String, long[]> shapes) {
        parameters.put(network, CheckpointShapes.parameters(shapes));
        registrations.add(TensorSources.override(folder, () -> new RandomWeights(shapes)));
    }

    private static JsonObject resourceJson(String name) throws IOException {
        try (InputStream in = resource(name)) {
            return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .getAsJsonObject();
        }
    }

    private static void copyResource(String name, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try (InputStream in = resource(name)) {
            Files.copy(in, target);
        }
    }

    private static void writeJson(Path target, JsonObject json) throws IOException {
        Files.createDirectories(target.getParent());
        Files.writeString(target, GSON.toJson(json));
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = RealSizeModels.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IOException("missing resource " + name);
        }
        return in;
    }
}
