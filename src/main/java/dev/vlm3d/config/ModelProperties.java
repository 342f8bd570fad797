package dev.vlm3d.config;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where the engine finds its weights: Hugging Face snapshot folders of the VLM (Qwen2.5-VL) and of the diffusion
 * model (MVDream). Read by the engine's generator factory; shown in health so an operator sees what a pod uses.
 */
@ConfigurationProperties("vlm3d.models")
public record ModelProperties(Path vlmDir, Path diffusionDir) {
}
