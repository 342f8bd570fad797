package dev.vlm3d.engine.guidance;

/**
 * MVDream's "rotation" camera condition from threestudio camera-to-world matrices: the translation is scaled onto
 * the unit sphere ({@code t/(‖t‖+1e-8)}), the rotation is kept as is, and the 4×4 matrix is flattened row-major.
 * Works on a copy (the reference normalizes the batch's matrices in place).
 */
public final class CameraCondition {

    private CameraCondition() {}

    /** {@code c2w} holds B row-major 4×4 matrices; returns B rows of 16 values. */
    public static float[] rows(float[] c2w) {
        if (c2w.length % 16 != 0) {
            throw new IllegalArgumentException("c2w must hold 4x4 matrices, got " + c2w.length + " values");
        }
        float[] out = c2w.clone();
        for (int b = 0; b < out.length / 16; b++) {
            int o = b * 16;
            float tx = out[o + 3];
            float ty = out[o + 7];
            float tz = out[o + 11];
            float norm = (float) Math.sqrt(tx * tx + ty * ty + tz * tz) + 1e-8f;
            out[o + 3] = tx / norm;
            out[o + 7] = ty / norm;
            out[o + 11] = tz / norm;
        }
        return out;
    }
}
