package dev.vlm3d.models.qwen25vl;

/**
 * Qwen2-VL's smart_resize: the size each image is resized to so both sides are multiples of
 * {@code factor = patch·merge} and the area lies in [minPixels, maxPixels]. Python's {@code round} is
 * half-to-even, hence {@link Math#rint} (70 px → 56, not 84).
 */
public final class SmartResize {

    /** Pixel bounds of the hub preprocessor_config.json (the image-processor class default max is lower). */
    public static final int DEFAULT_MIN_PIXELS = 3136;

    public static final int DEFAULT_MAX_PIXELS = 12_845_056;

    private SmartResize() {}

    /** @return {resizedHeight, resizedWidth} */
    public static int[] resize(int height, int width, int factor, long minPixels, long maxPixels) {
        if ((double) Math.max(height, width) / Math.min(height, width) > 200) {
            throw new IllegalArgumentException("aspect ratio of " + height + "x" + width + " exceeds 200");
        }
        long h = factor * (long) Math.rint((double) height / factor);
        long w = factor * (long) Math.rint((double) width / factor);
        if (h * w > maxPixels) {
            double beta = Math.sqrt((double) height * width / maxPixels);
            h = Math.max(factor, factor * (long) Math.floor(height / beta / factor));
            w = Math.max(factor, factor * (long) Math.floor(width / beta / factor));
        } else if (h * w < minPixels) {
            double beta = Math.sqrt((double) minPixels / ((double) height * width));
            h = factor * (long) Math.ceil(height * beta / factor);
            w = factor * (long) Math.ceil(width * beta / factor);
        }
        return new int[] {Math.toIntExact(h), Math.toIntExact(w)};
    }
}
