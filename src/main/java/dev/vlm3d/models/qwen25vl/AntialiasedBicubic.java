package dev.vlm3d.models.qwen25vl;

/**
 * The 1-D weight matrix of PIL / torch antialiased bicubic resampling (Keys cubic, a = −0.5; the support widens
 * with the downscale factor; windows are clipped at the border and renormalised). A 2-D resize of a channel X is
 * A_h·X·A_wᵀ, which keeps the resize a differentiable pair of matmuls.
 */
public final class AntialiasedBicubic {

    private static final double A = -0.5;

    private AntialiasedBicubic() {}

    /** Row-major [out][in] weights, in float64. */
    public static double[][] matrix(int in, int out) {
        double scale = (double) in / out;
        double support = scale >= 1 ? 2 * scale : 2;
        double invScale = scale >= 1 ? 1 / scale : 1;
        double[][] weights = new double[out][in];
        for (int i = 0; i < out; i++) {
            double center = scale * (i + 0.5);
            int jMin = Math.max((int) (center - support + 0.5), 0);
            int jMax = Math.min((int) (center + support + 0.5), in);
            double total = 0;
            for (int j = jMin; j < jMax; j++) {
                double w = cubic((j - center + 0.5) * invScale);
                weights[i][j] = w;
                total += w;
            }
            if (total != 0) {
                for (int j = jMin; j < jMax; j++) {
                    weights[i][j] /= total;
                }
            }
        }
        return weights;
    }

    static double cubic(double x) {
        double ax = Math.abs(x);
        if (ax < 1) {
            return ((A + 2) * ax - (A + 3)) * ax * ax + 1;
        }
        if (ax < 2) {
            return (((ax - 5) * ax + 8) * ax - 4) * A;
        }
        return 0;
    }
}
