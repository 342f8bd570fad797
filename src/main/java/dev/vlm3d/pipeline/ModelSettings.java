package dev.vlm3d.pipeline;

import ai.djl.ndarray.types.DataType;
import dev.vlm3d.models.TinyModelSet;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
import java.nio.file.Path;

/**
 * Where the models are and how they run, for the service and the CLI alike.
 *
 * @param vlmDir         Qwen2.5-VL-Instruct snapshot folder; null together with {@code diffusionDir} = tiny models
 * @param diffusionDir   MVDream diffusers snapshot folder (ashawkey/mvdream-sd2.1-diffusers layout)
 * @param sd21Dir        optional Stable Diffusion 2.1-base snapshot folder for {@code backbone=sd21}
 * @param cacheDir       where the tiny random model set is generated when no folders are configured
 * @param vlmPrecision   numeric mode of the VLM (FP32, or FP16_WEIGHTS to halve its weight memory)
 * @param diffusionType  dtype of the frozen UNet and text encoder (FLOAT32, or FLOAT16 on a GPU)
 */
public record ModelSettings(
        Path vlmDir,
        Path diffusionDir,
        Path sd21Dir,
        Path cacheDir,
        QwenVlPrecision vlmPrecision,
        DataType diffusionType) {

    public ModelSettings {
        if (cacheDir == null) {
            cacheDir = defaultCacheDir();
        }
        if (vlmPrecision == null) {
            vlmPrecision = QwenVlPrecision.FP32;
        }
        if (diffusionType == null) {
            diffusionType = DataType.FLOAT32;
        }
    }

    /** {@code $VLM3D_CACHE_DIR}, else {@code ~/.cache/vlm3d}. */
    public static Path defaultCacheDir() {
        String env = System.getenv("VLM3D_CACHE_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "vlm3d");
    }

    /** The folders to load: the configured ones, or the tiny set (generated on first use) when none is configured. */
    public ResolvedModels resolve() {
        if (vlmDir == null && diffusionDir == null) {
            TinyModelSet.Folders tiny = TinyModelSet.ensure(cacheDir);
            return new ResolvedModels(tiny.vlmDir(), tiny.diffusionDir(), null, true);
        }
        if (vlmDir == null || diffusionDir == null) {
            throw new ModelConfigurationException("configure both vlm3d.models.vlm-dir and vlm3d.models.diffusion-dir "
                    + "(or neither, for the tiny random models); got vlm-dir=" + vlmDir + ", diffusion-dir="
                    + diffusionDir);
        }
        return new ResolvedModels(vlmDir, diffusionDir, sd21Dir, false);
    }

    /**
     * The folders a worker loads.
     *
     * @param tiny true when these are the tiny random models: assets show that the pipeline runs, not real output
     */
    public record ResolvedModels(Path vlmDir, Path diffusionDir, Path sd21Dir, boolean tiny) {

        /** How logs, job metadata and /actuator/info name the mode. */
        public String modeLabel() {
            return tiny
                    ? "TINY RANDOM MODELS (pipeline demo: the assets do not show what real weights produce)"
                    : "configured weights";
        }
    }
}
