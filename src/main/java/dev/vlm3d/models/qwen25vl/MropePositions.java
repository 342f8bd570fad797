package dev.vlm3d.models.qwen25vl;

/**
 * 3-D (t, h, w) position ids of a prompt (transformers' get_rope_index for one unpadded sequence of still images).
 * Text tokens advance all three by one; the k-th image-pad token of an image with merged grid Lh×Lw gets
 * (cur, cur + k / Lw, cur + k % Lw), and the text after it continues at cur + max(Lh, Lw).
 */
public final class MropePositions {

    private MropePositions() {}

    /** @return [3][S] */
    public static long[][] of(long[] ids, long imagePadId, int[][] gridThw, int mergeSize) {
        long[][] pos = new long[3][ids.length];
        long cur = 0;
        int image = 0;
        int i = 0;
        while (i < ids.length) {
            if (ids[i] != imagePadId) {
                pos[0][i] = cur;
                pos[1][i] = cur;
                pos[2][i] = cur;
                cur++;
                i++;
                continue;
            }
            if (image >= gridThw.length) {
                throw new IllegalArgumentException("more image-pad runs than images");
            }
            int[] g = gridThw[image++];
            int lh = g[1] / mergeSize;
            int lw = g[2] / mergeSize;
            int tokens = g[0] * lh * lw;
            for (int k = 0; k < tokens; k++) {
                if (i + k >= ids.length || ids[i + k] != imagePadId) {
                    throw new IllegalArgumentException(
                            "image " + (image - 1) + " needs " + tokens + " consecutive image-pad tokens");
                }
                int t = k / (lh * lw);
                int inFrame = k % (lh * lw);
                pos[0][i + k] = cur + t;
                pos[1][i + k] = cur + inFrame / lw;
                pos[2][i + k] = cur + inFrame % lw;
            }
            cur += Math.max(g[0], Math.max(lh, lw));
            i += tokens;
        }
        if (image != gridThw.length) {
            throw new IllegalArgumentException("prompt has " + image + " image runs for " + gridThw.length + " images");
        }
        return pos;
    }
}
