package dev.vlm3d.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.cuda.CudaUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
import dev.vlm3d.weights.SafetensorsCheckpoint;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Checks the model folders before anything is loaded, so a misconfigured worker fails at start with a message that
 * names the problem: a missing file, a folder of another architecture, or a device without room for the weights at
 * the chosen precision (parameter counts from the safetensors headers, nothing read beyond them).
 */
public final class ModelCheck {

    static final String QWEN_ARCHITECTURE = "Qwen2_5_VLForConditionalGeneration";
    static final String MVDREAM_UNET = "MultiViewUNetModel";
    static final String SD_UNET = "UNet2DConditionModel";
    /** Activations, the field and the optimizer state come on top of the weights; keep this much of them free. */
    static final double HEADROOM = 1.25;

    /** Parameters and bytes of the weights of one configuration, for the memory check and the logs. */
    public record Estimate(long vlmParameters, long diffusionParameters, long weightBytes) {
        public String describe() {
            return String.format(
                    Locale.ROOT,
                    "VLM %,d + diffusion %,d parameters = %s of weights",
                    vlmParameters,
                    diffusionParameters,
                    gib(weightBytes));
        }
    }

    private ModelCheck() {}

    /** Runs every check; returns the memory estimate. */
    public static Estimate check(ModelSettings.ResolvedModels models, ModelSettings settings, Device device) {
        long vlm = checkVlm(models.vlmDir());
        long diffusion = checkDiffusion(models.diffusionDir(), MVDREAM_UNET, "vlm3d.models.diffusion-dir");
        long sd = models.sd21Dir() == null ? 0 : checkDiffusion(models.sd21Dir(), SD_UNET, "vlm3d.models.sd21-dir");
        long bytes = Math.round(vlm * vlmBytesPerParameter(settings.vlmPrecision()))
                + (diffusion + sd) * (settings.diffusionType() == DataType.FLOAT16 ? 2L : 4L);
        Estimate estimate = new Estimate(vlm, diffusion + sd, bytes);
        checkMemory(estimate, device);
        return estimate;
    }

    static double vlmBytesPerParameter(QwenVlPrecision precision) {
        return switch (precision) {
            case FP32 -> 4;
            case FP16_WEIGHTS -> 2;
            case FP64 -> 8;
        };
    }

    static long checkVlm(Path dir) {
        requireDir(dir, "vlm3d.models.vlm-dir");
        JsonObject config = readJson(dir.resolve("config.json"), "vlm3d.models.vlm-dir");
        JsonArray archs = config.has("architectures") ? config.getAsJsonArray("architectures") : new JsonArray();
        boolean qwen = false;
        for (var a : archs) {
            qwen |= a.getAsString().equals(QWEN_ARCHITECTURE);
        }
        String type = config.has("model_type") ? config.get("model_type").getAsString() : "?";
        if (!qwen && !type.equals("qwen2_5_vl")) {
            throw new ModelConfigurationException("vlm3d.models.vlm-dir " + dir + " holds a " + archs + " / model_type "
                    + type + " model; the reward needs " + QWEN_ARCHITECTURE + " (Qwen2.5-VL-*-Instruct)");
        }
        requireFile(dir.resolve("tokenizer.json"), "vlm3d.models.vlm-dir");
        if (!Files.isRegularFile(dir.resolve("chat_template.json"))
                && !Files.isRegularFile(dir.resolve("tokenizer_config.json"))) {
            throw new ModelConfigurationException("vlm3d.models.vlm-dir " + dir
                    + " has neither chat_template.json nor tokenizer_config.json (the chat template)");
        }
        requireFile(dir.resolve("preprocessor_config.json"), "vlm3d.models.vlm-dir");
        return parameters(dir, "vlm3d.models.vlm-dir");
    }

    static long checkDiffusion(Path dir, String unetClass, String property) {
        requireDir(dir, property);
        for (String f : List.of(
                "scheduler/scheduler_config.json",
                "tokenizer/vocab.json",
                "tokenizer/merges.txt",
                "text_encoder/config.json",
                "vae/config.json")) {
            requireFile(dir.resolve(f), property);
        }
        JsonObject unet = readJson(dir.resolve("unet/config.json"), property);
        String cls = unet.has("_class_name") ? unet.get("_class_name").getAsString() : "?";
        if (!cls.equals(unetClass)) {
            throw new ModelConfigurationException(property + " " + dir + " has a " + cls + " UNet; expected "
                    + unetClass
                    + (unetClass.equals(MVDREAM_UNET)
                            ? " (the MVDream diffusers port, ashawkey/mvdream-sd2.1-diffusers)"
                            : " (stabilityai/stable-diffusion-2-1-base)"));
        }
        long total = 0;
        for (String part : List.of("unet", "vae", "text_encoder")) {
            total += parameters(dir.resolve(part), property);
        }
        return total;
    }

    private static long parameters(Path folder, String property) {
        try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(folder)) {
            long n = 0;
            for (String name : weights.names()) {
                n += weights.info(name).numel();
            }
            if (n == 0) {
                throw new ModelConfigurationException(property + ": no tensors in the safetensors files of " + folder);
            }
            return n;
        } catch (ModelConfigurationException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ModelConfigurationException(
                    property + ": cannot read the safetensors weights of " + folder + ": " + e.getMessage(), e);
        }
    }

    static void checkMemory(Estimate estimate, Device device) {
        long needed = Math.round(estimate.weightBytes() * HEADROOM);
        long available;
        String where;
        if (device.isGpu()) {
            MemoryUsage usage = CudaUtils.getGpuMemory(device);
            available = usage.getMax() - usage.getUsed();
            where = "free memory of " + device;
        } else {
            available = availableRam();
            where = "available RAM";
        }
        if (available > 0 && needed > available) {
            throw new ModelConfigurationException(String.format(
                    Locale.ROOT,
                    "not enough memory on %s: %s, so about %s with activations; %s is %s. Use a larger device, "
                            + "vlm3d.models.vlm-precision=FP16_WEIGHTS or vlm3d.models.diffusion-precision=FLOAT16",
                    device,
                    estimate.describe(),
                    gib(needed),
                    where,
                    gib(available)));
        }
    }

    /** MemAvailable of /proc/meminfo (page cache counts as available), else the OS's free physical memory. */
    static long availableRam() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getFreeMemorySize();
        }
        return -1;
    }

    private static void requireDir(Path dir, String property) {
        if (!Files.isDirectory(dir)) {
            throw new ModelConfigurationException(property + " " + dir + " is not a directory");
        }
    }

    private static void requireFile(Path file, String property) {
        if (!Files.isRegularFile(file)) {
            throw new ModelConfigurationException(property + ": missing " + file);
        }
    }

    private static JsonObject readJson(Path file, String property) {
        requireFile(file, property);
        try {
            return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            throw new ModelConfigurationException(property + ": cannot parse " + file + ": " + e.getMessage(), e);
        }
    }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    static List<String> names(JsonArray a) {
        List<String> out = new ArrayList<>();
        a.forEach(e -> out.add(e.getAsString()));
        return out;
    }
}
