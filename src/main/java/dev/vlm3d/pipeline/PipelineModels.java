package dev.vlm3d.pipeline;

import ai.djl.Device;
import dev.vlm3d.engine.guidance.MvDreamGuidanceModel;
import dev.vlm3d.engine.guidance.SdsOptions;
import dev.vlm3d.engine.reward.QwenVlReward;
import dev.vlm3d.options.Backbone;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The frozen networks of one worker (one device), loaded once and shared by all its jobs: the MVDream guidance, the
 * optional Stable Diffusion 2.1 guidance and the Qwen2.5-VL reward. Per-job state (prompt embeddings, the field)
 * lives in {@link GenerationJob}.
 */
public final class PipelineModels implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PipelineModels.class);

    private final Device device;
    private final ModelSettings.ResolvedModels folders;
    private final ModelCheck.Estimate estimate;
    private final MvDreamGuidanceModel mvdream;
    private final MvDreamGuidanceModel sd21;
    private final QwenVlReward vlm;

    private PipelineModels(
            Device device,
            ModelSettings.ResolvedModels folders,
            ModelCheck.Estimate estimate,
            MvDreamGuidanceModel mvdream,
            MvDreamGuidanceModel sd21,
            QwenVlReward vlm) {
        this.device = device;
        this.folders = folders;
        this.estimate = estimate;
        this.mvdream = mvdream;
        this.sd21 = sd21;
        this.vlm = vlm;
    }

    /** Checks the folders (files, architecture, memory), then loads every model onto {@code device}. */
    public static PipelineModels load(ModelSettings settings, Device device) {
        ModelSettings.ResolvedModels folders = settings.resolve();
        if (folders.tiny()) {
            log.warn(
                    "no model folders configured (vlm3d.models.vlm-dir / diffusion-dir): using the {} from {}",
                    folders.modeLabel(),
                    folders.vlmDir().getParent());
        }
        ModelCheck.Estimate estimate = ModelCheck.check(folders, settings, device);
        log.info(
                "loading models on {}: {} ({}, VLM {}, diffusion {})",
                device,
                estimate.describe(),
                folders.modeLabel(),
                settings.vlmPrecision(),
                settings.diffusionType());
        long t0 = System.nanoTime();
        MvDreamGuidanceModel mvdream = null;
        MvDreamGuidanceModel sd21 = null;
        try {
            mvdream = MvDreamGuidanceModel.load(
                    folders.diffusionDir(), device, SdsOptions.mvdream().withFrozenDataType(settings.diffusionType()));
            if (folders.sd21Dir() != null || folders.tiny()) {
                // tiny mode: the tiny UNet run as a single-view DreamFusion SDS stands in for SD 2.1 so the option runs
                sd21 = MvDreamGuidanceModel.load(
                        folders.sd21Dir() != null ? folders.sd21Dir() : folders.diffusionDir(),
                        device,
                        SdsOptions.stableDiffusion().withFrozenDataType(settings.diffusionType()));
            }
            QwenVlReward vlm = QwenVlReward.load(folders.vlmDir(), device, settings.vlmPrecision());
            log.info(
                    "models loaded on {} in {} s",
                    device,
                    String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));
            return new PipelineModels(device, folders, estimate, mvdream, sd21, vlm);
        } catch (RuntimeException | Error e) {
            if (mvdream != null) {
                mvdream.close();
            }
            if (sd21 != null) {
                sd21.close();
            }
            throw e;
        }
    }

    /** "cpu", "gpu", "gpu0", "gpu1", "cuda:1" → the DJL device. */
    public static Device device(String name) {
        String n = name == null ? "cpu" : name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("cpu")) {
            return Device.cpu();
        }
        String index = n.startsWith("cuda:") ? n.substring(5) : n.startsWith("gpu") ? n.substring(3) : null;
        if (index != null) {
            try {
                return Device.gpu(index.isEmpty() ? 0 : Integer.parseInt(index));
            } catch (NumberFormatException e) {
                // fall through to the error
            }
        }
        throw new ModelConfigurationException("unknown device '" + name + "'; use cpu, gpu0, gpu1, …");
    }

    public Device device() {
        return device;
    }

    public ModelSettings.ResolvedModels folders() {
        return folders;
    }

    public ModelCheck.Estimate estimate() {
        return estimate;
    }

    /** The guidance model of a backbone, or null when that backbone is not configured on this worker. */
    public MvDreamGuidanceModel guidance(Backbone backbone) {
        return backbone == Backbone.SD21 ? sd21 : mvdream;
    }

    public QwenVlReward vlm() {
        return vlm;
    }

    @Override
    public void close() {
        vlm.close();
        mvdream.close();
        if (sd21 != null) {
            sd21.close();
        }
    }
}
