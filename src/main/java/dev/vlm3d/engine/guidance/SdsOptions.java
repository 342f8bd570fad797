package dev.vlm3d.engine.guidance;

import ai.djl.ndarray.types.DataType;

/**
 * How score distillation runs. {@link #mvdream()} is the official MVDream/VLM3D setting; {@link #stableDiffusion()}
 * the threestudio DreamFusion-SD setting for the SD 2.1 backbone.
 *
 * @param form              the surrogate: x0 reconstruction (MVDream) or DreamFusion's w(t)·(ε̂ − ε)
 * @param guidanceScale     classifier-free guidance weight
 * @param reconStdRescale   blend of the std-rescaled and the plain CFG x0 (MVDream config: 0.5); reconstruction only
 * @param viewsPerGroup     views per multi-view group (4 for MVDream; ignored by a UNet without camera embedding)
 * @param minStepPercent    lower bound of the timestep range over the optimizer steps
 * @param maxStepPercent    upper bound of the timestep range
 * @param frozenDataType    dtype of the UNet and text encoder (FLOAT32; FLOAT16 halves memory on a GPU)
 * @param attentionQueryChunk queries per UNet attention block (bounds the multi-view attention's score matrix)
 * @param defaultNegativePrompt used when a job gives none
 * @param imageSize         side the renders are resized to before encoding (threestudio's guidance
 *                          {@code image_size}); ≤ 0 derives it from the folder (UNet latent size × VAE factor)
 */
public record SdsOptions(
        Form form,
        double guidanceScale,
        double reconStdRescale,
        int viewsPerGroup,
        StepRamp minStepPercent,
        StepRamp maxStepPercent,
        DataType frozenDataType,
        int attentionQueryChunk,
        String defaultNegativePrompt,
        int imageSize) {

    /** The two SDS surrogates. */
    public enum Form {
        X0_RECONSTRUCTION,
        DREAMFUSION
    }

    /** The quality negatives of MVDream-threestudio's mvdream-sd21-shading.yaml, verbatim. */
    public static final String MVDREAM_NEGATIVE_PROMPT = "ugly, bad anatomy, blurry, pixelated obscure, unnatural "
            + "colors, poor lighting, dull, and unclear, cropped, lowres, low quality, artifacts, duplicate, morbid, "
            + "mutilated, poorly drawn face, deformed, dehydrated, bad proportions";

    /** MVDream-sd21(-shading): CFG 50, rescale 0.5, 4 views, t range annealed from [980, 980] to [20, 500]. */
    public static SdsOptions mvdream() {
        return new SdsOptions(
                Form.X0_RECONSTRUCTION,
                50.0,
                0.5,
                4,
                new StepRamp(0, 0.98, 0.02, 8000),
                new StepRamp(0, 0.98, 0.50, 8000),
                DataType.FLOAT32,
                1024,
                MVDREAM_NEGATIVE_PROMPT,
                0);
    }

    /** threestudio dreamfusion-sd: CFG 100, w(t) = 1 − ᾱ_t, t ∈ [20, 980], empty negative prompt. */
    public static SdsOptions stableDiffusion() {
        return new SdsOptions(
                Form.DREAMFUSION,
                100.0,
                0.0,
                1,
                StepRamp.constant(0.02),
                StepRamp.constant(0.98),
                DataType.FLOAT32,
                1024,
                "",
                0);
    }

    public SdsOptions withFrozenDataType(DataType type) {
        return new SdsOptions(
                form,
                guidanceScale,
                reconStdRescale,
                viewsPerGroup,
                minStepPercent,
                maxStepPercent,
                type,
                attentionQueryChunk,
                defaultNegativePrompt,
                imageSize);
    }

    public SdsOptions withGuidanceScale(double scale) {
        return new SdsOptions(
                form,
                scale,
                reconStdRescale,
                viewsPerGroup,
                minStepPercent,
                maxStepPercent,
                frozenDataType,
                attentionQueryChunk,
                defaultNegativePrompt,
                imageSize);
    }

    public SdsOptions withImageSize(int size) {
        return new SdsOptions(
                form,
                guidanceScale,
                reconStdRescale,
                viewsPerGroup,
                minStepPercent,
                maxStepPercent,
                frozenDataType,
                attentionQueryChunk,
                defaultNegativePrompt,
                size);
    }
}
