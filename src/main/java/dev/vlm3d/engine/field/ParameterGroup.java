package dev.vlm3d.engine.field;

/** The optimizer groups of the MVDream/VLM3D config (threestudio system.optimizer.params). */
public enum ParameterGroup {
    ENCODING,
    DENSITY_NETWORK,
    FEATURE_NETWORK,
    BACKGROUND
}
