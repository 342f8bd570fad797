package dev.vlm3d.models.qwen25vl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.nn.HostArrays;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Differentiable port of Qwen2VLImageProcessor for float images in [0, 1]: smart_resize, antialiased bicubic resize as
 * two constant matmuls, CLIP normalisation, temporal duplication and the merge-window patch order. No clamp and no
 * uint8 rounding (both would block or distort the gradient); the forward result differs from HF's uint8 pipeline by
 * at most about one uint8 level.
 */
public final class QwenVlImageProcessor {

    /** OpenAI CLIP statistics, used when a folder has no preprocessor_config.json. */
    private static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};

    private static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};

    /** Output of {@link #process}: patch rows of all images and each image's (t, h, w) patch grid. */
    public record Processed(NDArray pixelValues, int[][] gridThw) {

        /** LLM tokens of image i after the 2×2 merge. */
        public int[] imageTokens(int mergeSize) {
            int[] out = new int[gridThw.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = gridThw[i][0] * gridThw[i][1] * gridThw[i][2] / (mergeSize * mergeSize);
            }
            return out;
        }
    }

    private final int patchSize;
    private final int temporalPatchSize;
    private final int mergeSize;
    private final double[] mean;
    private final double[] std;
    private final long minPixels;
    private final long maxPixels;

    public QwenVlImageProcessor(
            int patchSize,
            int temporalPatchSize,
            int mergeSize,
            double[] mean,
            double[] std,
            long minPixels,
            long maxPixels) {
        this.patchSize = patchSize;
        this.temporalPatchSize = temporalPatchSize;
        this.mergeSize = mergeSize;
        this.mean = mean.clone();
        this.std = std.clone();
        this.minPixels = minPixels;
        this.maxPixels = maxPixels;
    }

    /** Reads mean/std and pixel bounds from {@code preprocessor_config.json} in {@code folder} if present. */
    public static QwenVlImageProcessor load(Path folder, QwenVlConfig.Vision vision) {
        double[] mean = CLIP_MEAN;
        double[] std = CLIP_STD;
        long min = SmartResize.DEFAULT_MIN_PIXELS;
        long max = SmartResize.DEFAULT_MAX_PIXELS;
        Path file = folder.resolve("preprocessor_config.json");
        if (Files.isRegularFile(file)) {
            try {
                JsonObject json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
                if (json.has("image_mean")) {
                    mean = doubles(json.getAsJsonArray("image_mean"));
                }
                if (json.has("image_std")) {
                    std = doubles(json.getAsJsonArray("image_std"));
                }
                if (json.has("min_pixels")) {
                    min = json.get("min_pixels").getAsLong();
                } else if (json.has("size") && json.getAsJsonObject("size").has("shortest_edge")) {
                    min = json.getAsJsonObject("size").get("shortest_edge").getAsLong();
                }
                if (json.has("max_pixels")) {
                    max = json.get("max_pixels").getAsLong();
                } else if (json.has("size") && json.getAsJsonObject("size").has("longest_edge")) {
                    max = json.getAsJsonObject("size").get("longest_edge").getAsLong();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
        return new QwenVlImageProcessor(
                vision.patchSize(), vision.temporalPatchSize(), vision.spatialMergeSize(), mean, std, min, max);
    }

    private static double[] doubles(JsonArray a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsDouble();
        }
        return out;
    }

    /** The same processor with other smart_resize pixel bounds (e.g. a cap on the vision tokens per view). */
    public QwenVlImageProcessor withPixelBounds(long minPixels, long maxPixels) {
        return new QwenVlImageProcessor(patchSize, temporalPatchSize, mergeSize, mean, std, minPixels, maxPixels);
    }

    public int factor() {
        return patchSize * mergeSize;
    }

    /** {resizedHeight, resizedWidth} for an input size. */
    public int[] resizedSize(int height, int width) {
        return SmartResize.resize(height, width, factor(), minPixels, maxPixels);
    }

    /**
     * @param images each [3, H, W] in [0, 1], any float dtype (the output has the same dtype); may require gradients
     */
    public Processed process(List<NDArray> images) {
        NDList rows = new NDList();
        int[][] grids = new int[images.size()][];
        for (int i = 0; i < images.size(); i++) {
            NDArray image = images.get(i);
            Shape s = image.getShape();
            int h = Math.toIntExact(s.get(1));
            int w = Math.toIntExact(s.get(2));
            int[] size = resizedSize(h, w);
            NDArray normalised = normalise(resize(image, size[0], size[1]));
            rows.add(patchify(normalised));
            grids[i] = new int[] {1, size[0] / patchSize, size[1] / patchSize};
        }
        NDArray pixelValues = rows.size() == 1 ? rows.get(0) : NDArrays.concat(rows, 0);
        return new Processed(pixelValues, grids);
    }

    /**
     * Views of one size as a batch: the same as {@link #process} on the list of views, with one resize and one
     * patchify for all of them.
     *
     * @param images [B, 3, H, W] in [0, 1]
     */
    public Processed processBatch(NDArray images) {
        Shape s = images.getShape();
        int b = Math.toIntExact(s.get(0));
        int[] size = resizedSize(Math.toIntExact(s.get(2)), Math.toIntExact(s.get(3)));
        NDArray normalised = normalise(resize(images, size[0], size[1]));
        int[][] grids = new int[b][];
        for (int i = 0; i < b; i++) {
            grids[i] = new int[] {1, size[0] / patchSize, size[1] / patchSize};
        }
        return new Processed(patchify(normalised), grids);
    }

    /** A_h · X · A_wᵀ per channel ([..., H, W] → [..., h', w']); an identity size skips the matmul. */
    NDArray resize(NDArray image, int outH, int outW) {
        Shape s = image.getShape();
        int h = Math.toIntExact(s.get(s.dimension() - 2));
        int w = Math.toIntExact(s.get(s.dimension() - 1));
        NDManager m = image.getManager();
        NDArray y = image;
        if (outW != w) {
            NDArray awT = constant(m, AntialiasedBicubic.matrix(w, outW), image.getDataType())
                    .transpose();
            y = y.matMul(awT);
        }
        if (outH != h) {
            NDArray ah = constant(m, AntialiasedBicubic.matrix(h, outH), image.getDataType());
            y = ah.matMul(y);
        }
        return y;
    }

    private NDArray normalise(NDArray image) {
        NDManager m = image.getManager();
        DataType t = image.getDataType();
        NDArray meanArr = HostArrays.create(m, mean).toType(t, false).reshape(mean.length, 1, 1);
        NDArray stdArr = HostArrays.create(m, std).toType(t, false).reshape(std.length, 1, 1);
        return image.sub(meanArr).div(stdArr);
    }

    /**
     * [C, h, w] (or [B, C, h, w]) → [B·n_p, C·T·P·P]: rows image by image in merge-window order (2×2 blocks
     * contiguous), columns (c, t, py, px), the frame repeated T times.
     */
    NDArray patchify(NDArray image) {
        NDArray batch = image.getShape().dimension() == 3 ? image.expandDims(0) : image;
        Shape s = batch.getShape();
        long b = s.get(0);
        int c = Math.toIntExact(s.get(1));
        int gh = Math.toIntExact(s.get(2)) / patchSize;
        int gw = Math.toIntExact(s.get(3)) / patchSize;
        NDList frames = new NDList();
        for (int t = 0; t < temporalPatchSize; t++) {
            frames.add(batch);
        }
        NDArray stacked = NDArrays.stack(frames, 1);
        NDArray blocks = stacked.reshape(
                b, temporalPatchSize, c, gh / mergeSize, mergeSize, patchSize, gw / mergeSize, mergeSize, patchSize);
        // axes: 0 b, 1 t, 2 c, 3 bh, 4 mh, 5 py, 6 bw, 7 mw, 8 px → (b, bh, bw, mh, mw, c, t, py, px)
        NDArray ordered = blocks.transpose(0, 3, 6, 4, 7, 2, 1, 5, 8);
        return ordered.reshape(b * gh * gw, (long) c * temporalPatchSize * patchSize * patchSize);
    }

    private static NDArray constant(NDManager m, double[][] values, DataType type) {
        int rows = values.length;
        int cols = values[0].length;
        if (type == DataType.FLOAT64) {
            double[] flat = new double[rows * cols];
            for (int i = 0; i < rows; i++) {
                System.arraycopy(values[i], 0, flat, i * cols, cols);
            }
            return HostArrays.create(m, flat, new Shape(rows, cols));
        }
        float[] flat = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                flat[i * cols + j] = (float) values[i][j];
            }
        }
        NDArray a = HostArrays.create(m, flat, new Shape(rows, cols));
        return type == DataType.FLOAT32 ? a : a.toType(type, false);
    }
}
