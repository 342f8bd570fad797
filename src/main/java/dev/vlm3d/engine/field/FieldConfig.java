package dev.vlm3d.engine.field;

/**
 * Shape of the implicit volume (threestudio {@code implicit-volume} with a tcnn-style HashGrid).
 *
 * @param levels              hash-grid levels (paper: 16)
 * @param featuresPerLevel    features per level (paper: 2)
 * @param log2TableSize       log2 of the per-level table cap (paper: 19)
 * @param baseResolution      coarsest grid resolution (paper: 16)
 * @param finestResolution    finest grid resolution (paper: 4096, i.e. per-level scale 1.4472692)
 * @param hiddenDim           width of the one hidden layer of the density and feature MLPs (paper: 64)
 * @param blobScale           magic3d blob density bias amplitude (paper: 10)
 * @param blobStd             magic3d blob radius (paper: 0.5)
 * @param backgroundHidden    width of the two hidden layers of the background MLP (paper: 16)
 */
public record FieldConfig(
        int levels,
        int featuresPerLevel,
        int log2TableSize,
        int baseResolution,
        int finestResolution,
        int hiddenDim,
        float blobScale,
        float blobStd,
        int backgroundHidden) {

    public static FieldConfig paper() {
        return new FieldConfig(16, 2, 19, 16, 4096, 64, 10f, 0.5f, 16);
    }

    /** A few-thousand-parameter field for CPU tests. */
    public static FieldConfig tiny() {
        return new FieldConfig(6, 2, 14, 8, 64, 32, 10f, 0.5f, 16);
    }

    public int encodedDim() {
        return levels * featuresPerLevel;
    }
}
