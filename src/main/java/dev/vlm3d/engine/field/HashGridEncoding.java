package dev.vlm3d.engine.field;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.vlm3d.nn.HostArrays;
import dev.vlm3d.nn.Lifetimes;
import dev.vlm3d.nn.Scalars;

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
 * through F.embedding, whose backward is the scatter-add DJL does not expose directly. Autograd keeps per point the
 * int32 row indices, the looked-up rows and the corner weights (about 2 KB at 16 levels × 2 features); every other
 * temporary of a lookup is freed when it returns ({@link Lifetimes}).
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
    // constants, created once in the parameter manager (libtorch-owned, see nn.Scalars)
    private final NDArray scaleTensor; // [L, 1] S_l
    private final NDArray halfScale; // [L, 1, 1] dq/dx = S_l / 2
    private final NDArray coefficients; // [L, 3] int64: (1, R, R²) dense, (1, πy, πz) hashed
    private final NDArray tableSizeLong; // [L] int64
    private final NDArray tableSizeInt; // [L, 1] int32
    private final NDArray cornerOffsets; // [L, 8] int32: (Σ_d c_d·coef_d) mod T_l
    private final NDArray rowOffsets; // [L, 1] int32: first row of level l in the table
    private final NDArray one;
    private final NDArray half;
    private final NDArray slopes; // [2]: d(1 − f)/df, df/df

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
        int[] cornerOffset = new int[levels * 8];
        int[] sizes = new int[levels];
        int[] rowOffset = new int[levels];
        float[] halfScales = new float[levels];
        long offset = 0;
        for (int l = 0; l < levels; l++) {
            double scale = Math.pow(2.0, l * (Math.log(perLevelScale) / Math.log(2.0))) * config.baseResolution() - 1.0;
            int resolution = (int) Math.ceil(scale) + 1;
            long cells = (long) resolution * resolution * resolution;
            long size = Math.min((cells + 7) / 8 * 8, cap);
            scales[l] = (float) scale;
            halfScales[l] = (float) scale / 2f;
            resolutions[l] = resolution;
            tableSizes[l] = size;
            offsets[l] = offset;
            dense[l] = cells <= size;
            coef[l * 3] = 1;
            coef[l * 3 + 1] = dense[l] ? resolution : PRIME_Y;
            coef[l * 3 + 2] = dense[l] ? (long) resolution * resolution : PRIME_Z;
            for (int c = 0; c < 8; c++) {
                long sum = 0;
                for (int d = 0; d < 3; d++) {
                    sum += ((c >> d) & 1) * coef[l * 3 + d];
                }
                cornerOffset[l * 8 + c] = (int) (sum % size);
            }
            sizes[l] = (int) size;
            rowOffset[l] = (int) offset;
            offset += size;
        }
        if (offset > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("hash table of " + offset + " rows exceeds int32 row indices");
        }
        totalRows = offset;
        table = manager.randomUniform(-1e-4f, 1e-4f, new Shape(totalRows, featuresPerLevel), DataType.FLOAT32)
                .toType(dtype, false);
        table.setRequiresGradient(true);
        scaleTensor = HostArrays.create(manager, scales, new Shape(levels, 1)).toType(dtype, false);
        halfScale =
                HostArrays.create(manager, halfScales, new Shape(levels, 1, 1)).toType(dtype, false);
        coefficients = HostArrays.create(manager, coef, new Shape(levels, 3));
        tableSizeLong = HostArrays.create(manager, tableSizes, new Shape(levels));
        tableSizeInt = HostArrays.create(manager, sizes, new Shape(levels, 1));
        cornerOffsets = HostArrays.create(manager, cornerOffset, new Shape(levels, 8));
        rowOffsets = HostArrays.create(manager, rowOffset, new Shape(levels, 1));
        one = Scalars.of(manager, 1, dtype);
        half = Scalars.of(manager, 0.5, dtype);
        slopes = HostArrays.create(manager, new float[] {-1f, 1f}).toType(dtype, false);
    }

    /**
     * @param x world positions [N, 3] in the bounding box [−1, 1]³
     * @return features [N, levels·featuresPerLevel], level-major
     */
    public NDArray encode(NDArray x) {
        return Lifetimes.scopedArray(() -> {
            Corners c = corners(x);
            long n = x.getShape().get(0);
            // [N,L,1,8] @ [N,L,8,F]: the trilinear blend without an [N,L,8,F] product temporary
            return c.weights().expandDims(2).matMul(c.values()).reshape(n, (long) levels * featuresPerLevel);
        });
    }

    /**
     * Features and their Jacobian with respect to x, in first-order ops (so autograd can differentiate the Jacobian
     * itself: the analytic normals and the orientation loss need that, and DJL has no double backward).
     *
     * @return {features [N, D], jacobian [N, D, 3]} with D = levels·featuresPerLevel
     */
    public NDList encodeWithJacobian(NDArray x) {
        return Lifetimes.scoped(() -> {
            Corners c = corners(x);
            long n = x.getShape().get(0);
            NDArray features =
                    c.weights().expandDims(2).matMul(c.values()).reshape(n, (long) levels * featuresPerLevel);
            // d w_c / d f_k: the corner weight with the k-th factor replaced by its slope (−1 or +1)
            NDArray dx = outer(c.z(), c.y(), slopes.broadcast(c.x().getShape()));
            NDArray dy = outer(c.z(), slopes.broadcast(c.y().getShape()), c.x());
            NDArray dz = outer(slopes.broadcast(c.z().getShape()), c.y(), c.x());
            NDArray dWeights = NDArrays.stack(new NDList(dx, dy, dz), 3); // [N,L,8,3]
            // d f / d x = S_l / 2 inside the box (the clamp's gradient, as torch defines it, outside)
            NDArray inBox =
                    c.unclamped().gte(0).logicalAnd(c.unclamped().lte(1)).toType(x.getDataType(), false);
            NDArray jacobian = c.values()
                    .transpose(0, 1, 3, 2)
                    .matMul(dWeights) // [N,L,F,3]
                    .mul(halfScale.expandDims(0))
                    .mul(inBox.expandDims(1).expandDims(1))
                    .reshape(n, (long) levels * featuresPerLevel, 3);
            return new NDList(features, jacobian);
        });
    }

    /**
     * The 8 corners of each point's cell per level: table rows looked up, and the per-axis interpolation factors.
     *
     * <p>Corner c has offset bit d = (c >> d) & 1 along axis d. Indices stay small: the per-axis hash terms are
     * summed in int64 on the cell's base corner only ([N, L]), reduced mod T_l, and the 8 corner offsets (also
     * reduced mod T_l) are added in int32; (a + b) mod T = ((a mod T) + (b mod T)) mod T, so this equals hashing
     * every corner in int64, at a sixth of the temporaries.
     */
    private Corners corners(NDArray x) {
        long n = x.getShape().get(0);
        NDArray unclamped = x.add(one).mul(half); // [N,3]
        NDArray p = unclamped.clip(0, 1).expandDims(1); // [N,1,3]
        NDArray q = p.mul(scaleTensor.expandDims(0)).add(half); // [N,L,3]
        NDArray cell = q.floor();
        NDArray frac = q.sub(cell);
        NDArray base = cell.toType(DataType.INT64, false)
                .mul(coefficients.expandDims(0))
                .sum(new int[] {2})
                .mod(tableSizeLong.expandDims(0)); // [N,L] int64
        NDArray index = base.toType(DataType.INT32, false)
                .expandDims(2)
                .add(cornerOffsets.expandDims(0))
                .mod(tableSizeInt.expandDims(0))
                .add(rowOffsets.expandDims(0)); // [N,L,8] int32
        // F.embedding: its CPU backward is deterministic, unlike advanced indexing's parallel index_put_ accumulate,
        // whose run-to-run rounding noise Adam (eps 1e-15) amplifies into full learning-rate steps
        NDArray values = JniUtils.embedding((PtNDArray) index, (PtNDArray) table, false); // [N,L,8,F]
        // per-axis factors (1 − f, f) as [N,L,2]
        NDArray fx = axisFactors(frac, 0);
        NDArray fy = axisFactors(frac, 1);
        NDArray fz = axisFactors(frac, 2);
        NDArray weights = outer(fz, fy, fx); // [N,L,8]
        return new Corners(values, weights, fx, fy, fz, unclamped);
    }

    private NDArray axisFactors(NDArray frac, int axis) {
        NDArray f = frac.get(new NDIndex(":, :, {}", axis)).expandDims(2); // [N,L,1]
        return one.sub(f).concat(f, 2); // [N,L,2]
    }

    /** w[c] = z[c₂]·y[c₁]·x[c₀] with c = c₀ + 2c₁ + 4c₂, from three [N,L,2] factors → [N,L,8]. */
    private static NDArray outer(NDArray z, NDArray y, NDArray x) {
        Shape s = z.getShape();
        long n = s.get(0);
        long l = s.get(1);
        return z.reshape(n, l, 2, 1, 1)
                .mul(y.reshape(n, l, 1, 2, 1))
                .mul(x.reshape(n, l, 1, 1, 2))
                .reshape(n, l, 8);
    }

    private record Corners(NDArray values, NDArray weights, NDArray x, NDArray y, NDArray z, NDArray unclamped) {}

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
