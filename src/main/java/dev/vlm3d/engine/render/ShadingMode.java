package dev.vlm3d.engine.render;

/** The material modes of threestudio's diffuse-with-point-light material. */
public enum ShadingMode {
    /** sigmoid(features), no lighting. */
    ALBEDO,
    /** grey lambertian shade only. */
    TEXTURELESS,
    /** albedo × lambertian shade. */
    DIFFUSE
}
