package dev.vlm3d.pipeline;

import ai.djl.ndarray.types.DataType;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code vlm3d.models.*}, the one binding of that prefix: the workers' health shows the folders through
 * {@link dev.vlm3d.worker.JobGeneratorFactory#models()}. Environment variables follow Spring's relaxed binding: {@code VLM3D_MODELS_VLMDIR},
 * {@code VLM3D_MODELS_DIFFUSIONDIR}, {@code VLM3D_MODELS_SD21DIR}, {@code VLM3D_MODELS_CACHEDIR},
 * {@code VLM3D_MODELS_VLMPRECISION}, {@code VLM3D_MODELS_DIFFUSIONPRECISION}, {@code VLM3D_MODELS_CPUTHREADS}.
 *
 * @param cpuThreads libtorch intra-op threads (0 or null: libtorch's default, one per core); 1 avoids OpenMP
 *                   oversubscription on a CPU shared with other processes
 */
@ConfigurationProperties("vlm3d.models")
public record PipelineProperties(
        Path vlmDir,
        Path diffusionDir,
        Path sd21Dir,
        Path cacheDir,
        QwenVlPrecision vlmPrecision,
        String diffusionPrecision,
        Integer cpuThreads) {

    public ModelSettings settings() {
        DataType diffusion = diffusionPrecision == null || diffusionPrecision.isBlank()
                ? DataType.FLOAT32
                : switch (diffusionPrecision.trim().toUpperCase(java.util.Locale.ROOT)) {
                    case "FLOAT32", "FP32" -> DataType.FLOAT32;
                    case "FLOAT16", "FP16" -> DataType.FLOAT16;
                    default ->
                        throw new ModelConfigurationException("vlm3d.models.diffusion-precision must be FLOAT32 "
                                + "or FLOAT16, not " + diffusionPrecision);
                };
        return new ModelSettings(vlmDir, diffusionDir, sd21Dir, cacheDir, vlmPrecision, diffusion);
    }
}
