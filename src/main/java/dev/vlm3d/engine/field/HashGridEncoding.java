package dev.vlm3d.engine.field;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Multi-resolution hash encoding (Instant-NGP / tcnn "HashGrid" semantics) in plain tensor ops.
 *
 * <p>Level l has scale {@code S_l = base·b^l − 1} and resolution {@code R_l = ceil(S_l) + 1}; its table holds
 * {@code T_l = min(roundUp8(R_l³), 2^log2T)} rows of {@code featuresPerLevel} values. Levels whose grid fits
 * ({@code R_l³ ≤ T_l}) are indexed densely ({@code x + y·R + z·R²}), exactly like tcnn. DJL exposes no bitwise XOR,
 * so the remaining levels use the additive variant of the tcnn prime hash,
 * {@code (x + y·2654435761 + z·805459861) mod T_l}, computed in int64. The field is trained from scratch and no tcnn
 * weights are ever loaded, so only the collision statistics matter, and the additive hash with the same primes spreads
 * neighbouring cells just as well. Emulating XOR bit by bit would cost ~19×3 extra kernels per level.
 *
 * <p>All rows live in one table parameter {@code [ΣT_l, F]} (level-major), initialized in [−1e-4, 1e-4]. Lookups go
 * through F.embedding, whose backward is the scatter-add DJL does not expose directly.
 */
public final class HashGridEncoding {

    private static final long PRIME_Y = 2654435761L;
    private static final long PRIME_Z = 805459861L;

    private final int levels;
    private final int featuresPerLevel;
    private final float[] scales;
    private final int[] resolutions;
    private final long[] tableSizes;
    private final long[] offsets;
    private final boolean[] dense;
    private final long totalRows;
    private final NDArray table;
    // constant helpers, created once in the parameter manager
    private final NDArray scaleTensor;      // [L, 1]
    private final NDArray coefficients;     // [L, 1, 3] int64
    private final NDArray tableSizeTensor;  // [L, 1] int64
    private final NDArray offsetTensor;     // [L, 1] int64
    private final NDArray corners;          // [8, 3] dtype
    private final NDArray cornersLong;      // [8, 3] int64

    public HashGridEncoding(FieldConfig config, NDManager manager, DataType dtype) {
        this.levels = config.levels();
        this.featuresPerLevel = config.featuresPerLevel();
        double perLevelScale = levels > 1
                ? Math.exp(Math.log((double) config.finestResolution() / config.baseResolution()) / (levels - 1))
                : 1.0;
        long cap = 1L << config.log2TableSize();
        scales = new float[levels];
        resolutions = new int[levels];
        tableSizes = new long[levels];
        offsets = new long[levels];
        dense = new boolean[levels];
        long[] coef = new long[levels * 3];
        long offset = 0;
        for (int l = 0; l < levels; l++) {
            double scale = Math.pow(2.0, l * (Math.log(perLevelScale) / Math.log(2.0))) * config.baseResolution() - 1.0;
            int resolution = (int) Math.ceil(scale) + 1;
            long cells = (long) resolution * resolution * resolution;
            long size = Math.min((cells + 7) / 8 * 8, cap);
            scales[l] = (float) scale;
            resolutions[l] = resolution;
            tableSizes[l] = size;
            offsets[l] = offset;
            dense[l] = cells <= size;
            coef[l * 3] = 1;
            coef[l * 3 + 1] = dense[l] ? resolution : PRIME_Y;
            coef[l * 3 + 2] = dense[l] ? (long) resolution * resolution : PRIME_Z;
            offset += size;
        }
        totalRows = offset;
        table = manager.randomUniform(-1e-4f, 1e-4f, new Shape(totalRows, featuresPerLevel), DataType.FLOAT32)
                .toType(dtype, false);
        table.setRequiresGradient(true);
        scaleTensor = manager.create(scales, new Shape(levels, 1)).toType(dtype, false);
        coefficients = manager.create(coef, new Shape(levels, 1, 3));
        tableSizeTensor = manager.create(tableSizes, new Shape(levels, 1));
        offsetTensor = manager.create(offsets, new Shape(levels, 1));
        float[] c = new float[24];
        long[] cl = new long[24];
        for (int i = 0; i < 8; i++) {
            for (int d = 0; d < 3; d++) {
                c[i * 3 + d] = (i >> d) & 1;
                cl[i * 3 + d] = (i >> d) & 1;
            }
        }
        corners = manager.create(c, new Shape(8, 3)).toType(dtype, false);
        cornersLong = manager.create(cl, new Shape(8, 3));
    }

    /**
     * @param x world positions [N, 3] in the bounding box [−1, 1]³
     * @return features [N, levels·featuresPerLevel], level-major
     */
    public NDArray encode(NDArray x) {
        long n = x.getShape().get(0);
        NDArray p = x.add(1).mul(0.5).maximum(0).minimum(1).expandDims(1);                  // [N,1,3]
        NDArray q = p.mul(scaleTensor.expandDims(0)).add(0.5);                   // [N,L,3]
        NDArray cell = q.floor();
        NDArray frac = q.sub(cell);
        NDArray cellLong = cell.toType(DataType.INT64, false).expandDims(2);     // [N,L,1,3]
        NDArray cornerCells = cellLong.add(cornersLong);                         // [N,L,8,3]
        NDArray index = cornerCells.mul(coefficients.expandDims(0)).sum(new int[] {3}) // [N,L,8]
                .mod(tableSizeTensor.expandDims(0)).add(offsetTensor.expandDims(0));
        NDArray f = frac.expandDims(2);                                          // [N,L,1,3]
        NDArray cornerWeights = f.mul(corners).add(f.neg().add(1).mul(corners.neg().add(1)));
        NDArray weight = cornerWeights.prod(new int[] {3});                      // [N,L,8]
        // F.embedding: its CPU backward is deterministic, unlike advanced indexing's parallel index_put_ accumulate,
        // whose run-to-run rounding noise Adam (eps 1e-15) amplifies into full learning-rate steps
        NDArray values = JniUtils.embedding((PtNDArray) index, (PtNDArray) table, false); // [N,L,8,F]
        NDArray encoded = values.mul(weight.expandDims(3)).sum(new int[] {2});  // [N,L,F]
        return encoded.reshape(n, (long) levels * featuresPerLevel);
    }

    public NDArray table() {
        return table;
    }

    public int levels() {
        return levels;
    }

    public int resolution(int level) {
        return resolutions[level];
    }

    public long tableSize(int level) {
        return tableSizes[level];
    }

    public boolean isDense(int level) {
        return dense[level];
    }

    public long totalRows() {
        return totalRows;
    }
}
