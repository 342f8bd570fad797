package dev.vlm3d.engine;

/**
 * Asset export.
 *
 * @param isoResolution      lattice points per axis for the isosurface (128–256)
 * @param isoThreshold       density level set (implicit-volume default 25), or {@link #AUTO_THRESHOLD}
 * @param coarseToFine       extract again inside the cleaned first mesh's box grown by 10% (threestudio)
 * @param minComponentFraction drop connected components with fewer faces than this fraction of the largest (0.01)
 * @param renderViews        evaluation views rendered to PNG (RGB and normals)
 * @param renderSize         size of the evaluation renders in pixels
 * @param turntableFrames    frames of the turntable animation
 * @param turntableSize      size of the turntable frames
 */
public record ExportConfig(
        int isoResolution,
        float isoThreshold,
        boolean coarseToFine,
        float minComponentFraction,
        int renderViews,
        int renderSize,
        int turntableFrames,
        int turntableSize) {

    /**
     * threestudio's {@code isosurface_threshold: auto}: the mean density of the lattice points above 1e-5, for a field
     * whose density has not reached the fixed level (a run cut short, the tiny random models).
     */
    public static final float AUTO_THRESHOLD = Float.NaN;

    public boolean autoThreshold() {
        return Float.isNaN(isoThreshold);
    }

    public ExportConfig withIsoThreshold(float threshold) {
        return new ExportConfig(
                isoResolution,
                threshold,
                coarseToFine,
                minComponentFraction,
                renderViews,
                renderSize,
                turntableFrames,
                turntableSize);
    }

    public static ExportConfig paper() {
        return new ExportConfig(256, 25f, true, 0.01f, 120, 512, 120, 256);
    }
}
