package dev.vlm3d.models.mvdream;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.vlm3d.models.clip.ClipTextModel;
import dev.vlm3d.models.clip.ClipTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The networks of a diffusers-layout folder: {@code ashawkey/mvdream-sd2.1-diffusers} (multi-view UNet with camera
 * embedding, LDM tensor names) or a plain Stable Diffusion 2.x folder (diffusers UNet names, no camera). Each part is
 * built from its own config; the VAE decoder is not loaded (SDS never decodes).
 *
 * @param imageSize the pixel size the UNet works at (its latent size times the VAE's downscale factor)
 */
public record MvDreamPipeline(
        ClipTokenizer tokenizer,
        ClipTextModel textEncoder,
        VaeEncoder vae,
        MultiViewUNet unet,
        Path schedulerConfig,
        int imageSize)
        implements AutoCloseable {

    /**
     * @param encoderType  dtype of the VAE encoder (on the gradient path; float32 recommended)
     * @param frozenType   dtype of the UNet and the text encoder (float32, or float16 on a GPU)
     * @param attentionQueryChunk queries per attention block in the UNet (≤ 0: none)
     */
    public static MvDreamPipeline load(
            Path folder, NDManager manager, DataType encoderType, DataType frozenType, int attentionQueryChunk) {
        for (String part : new String[] {"unet", "vae", "text_encoder", "tokenizer", "scheduler"}) {
            if (!Files.isDirectory(folder.resolve(part))) {
                throw new IllegalArgumentException(
                        folder + " has no " + part + "/ folder (expected a diffusers layout)");
            }
        }
        ClipTokenizer tokenizer = ClipTokenizer.load(folder.resolve("tokenizer"));
        ClipTextModel text = null;
        VaeEncoder vae = null;
        try {
            text = ClipTextModel.load(folder.resolve("text_encoder"), manager, frozenType);
            vae = VaeEncoder.load(folder.resolve("vae"), manager, encoderType);
            MultiViewUNet unet = MultiViewUNet.load(folder.resolve("unet"), manager, frozenType, attentionQueryChunk);
            int imageSize = unet.config().sampleSize() * vae.config().downscaleFactor();
            return new MvDreamPipeline(
                    tokenizer, text, vae, unet, folder.resolve("scheduler/scheduler_config.json"), imageSize);
        } catch (RuntimeException e) {
            if (text != null) {
                text.close();
            }
            if (vae != null) {
                vae.close();
            }
            throw e;
        }
    }

    @Override
    public void close() {
        textEncoder.close();
        vae.close();
        unet.close();
    }
}
