package dev.vlm3d.engine;

/**
 * AdamW with the parameter groups of the MVDream/VLM3D config (decoupled weight decay, torch's default 0.01).
 */
public record OptimizerConfig(
        float encodingLr,
        float densityLr,
        float featureLr,
        float backgroundLr,
        float beta1,
        float beta2,
        float eps,
        float weightDecay) {

    public static OptimizerConfig paper() {
        return new OptimizerConfig(1e-2f, 1e-3f, 1e-3f, 1e-3f, 0.9f, 0.99f, 1e-15f, 0.01f);
    }
}
