package dev.vlm3d.engine.render;

/**
 * Per-call rendering choices.
 *
 * @param shading           material mode
 * @param diffuseRatio      soft-shading r: shade = max(0, n·l)·r + (1 − r)
 * @param normals           compute per-sample normals (needed for shading, the orientation loss, normal maps)
 * @param solidBackground   one RGB colour replacing the background network's colour, or null to use the network
 */
public record RenderOptions(ShadingMode shading, float diffuseRatio, boolean normals, float[] solidBackground) {

    public static RenderOptions evaluation(boolean normals) {
        return new RenderOptions(ShadingMode.ALBEDO, 0f, normals, null);
    }

    boolean needsNormals() {
        return normals || shading != ShadingMode.ALBEDO;
    }
}
