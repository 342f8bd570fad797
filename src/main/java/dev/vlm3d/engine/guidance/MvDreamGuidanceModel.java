package dev.vlm3d.engine.guidance;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.vlm3d.models.mvdream.MvDreamPipeline;
import java.nio.file.Path;

/**
 * Score distillation backed by a diffusers-layout folder: MVDream ({@code ashawkey/mvdream-sd2.1-diffusers}, multi-view
 * UNet with camera embedding) or plain Stable Diffusion 2.1-base (single view, no camera). Loaded once per worker;
 * {@link #forPrompt} makes the per-job {@link Guidance} with its cached text embeddings.
 */
public final class MvDreamGuidanceModel implements GuidanceModel {

    private final NDManager manager;
    private final MvDreamPipeline pipeline;
    private final ScoreDistillation sds;

    private MvDreamGuidanceModel(NDManager manager, MvDreamPipeline pipeline, ScoreDistillation sds) {
        this.manager = manager;
        this.pipeline = pipeline;
        this.sds = sds;
    }

    /**
     * Loads the folder onto {@code device}.
     *
     * @param options null picks by backbone: {@link SdsOptions#mvdream()} for a UNet with camera embedding,
     *                {@link SdsOptions#stableDiffusion()} otherwise
     */
    public static MvDreamGuidanceModel load(Path folder, Device device, SdsOptions options) {
        NDManager manager = NDManager.newBaseManager(device);
        try {
            DataType frozen = options != null ? options.frozenDataType() : DataType.FLOAT32;
            int chunk = options != null
                    ? options.attentionQueryChunk()
                    : SdsOptions.mvdream().attentionQueryChunk();
            MvDreamPipeline pipeline = MvDreamPipeline.load(folder, manager, DataType.FLOAT32, frozen, chunk);
            SdsOptions chosen = options != null
                    ? options
                    : pipeline.unet().hasCameraEmbedding() ? SdsOptions.mvdream() : SdsOptions.stableDiffusion();
            NoiseSchedule schedule = NoiseSchedule.fromSchedulerConfig(pipeline.schedulerConfig());
            return new MvDreamGuidanceModel(manager, pipeline, new ScoreDistillation(pipeline, schedule, chosen));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Per-job guidance drawing its noise from seed 0 (runs should pass their own seed through the overload). */
    @Override
    public Guidance forPrompt(String prompt, String negativePrompt) {
        return forPrompt(prompt, negativePrompt, SdsNoise.seeded(0L));
    }

    /**
     * Per-job guidance: encodes the prompt and the negative prompt (the options' default when null) once, and draws
     * each step's timestep and noise from {@code noise}.
     */
    public SdsGuidance forPrompt(String prompt, String negativePrompt, SdsNoise noise) {
        String negative =
                negativePrompt != null ? negativePrompt : sds.options().defaultNegativePrompt();
        return new SdsGuidance(sds, manager.newSubManager(), prompt, negative, noise);
    }

    public ScoreDistillation scoreDistillation() {
        return sds;
    }

    public MvDreamPipeline pipeline() {
        return pipeline;
    }

    /** Arrays held by the model's manager tree (weights and per-job embeddings). */
    int heldArrays() {
        return manager.getManagedArrays().size();
    }

    @Override
    public void close() {
        pipeline.close();
        manager.close();
    }
}
