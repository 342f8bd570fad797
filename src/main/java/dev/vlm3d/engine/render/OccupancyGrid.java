package dev.vlm3d.engine.render;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.vlm3d.engine.field.NerfField;
import dev.vlm3d.nn.HostArrays;
import java.util.SplittableRandom;

/**
 * nerfacc's OccGridEstimator (v0.5.2, the version threestudio pins; one level over [−1, 1]³) as plain arrays: an
 * EMA-max of σ·step per cell, binarized at min(mean of all cells, threshold).
 *
 * <p>A refresh before {@link RenderConfig#occupancyWarmupSteps()} re-evaluates every cell; later ones R³/4 uniformly
 * drawn cells plus R³/4 drawn among the occupied ones (all of them when fewer), and only the drawn cells decay. The
 * draws and the in-cell jitter come from a generator seeded by (run seed, step), so a resumed run refreshes the same
 * cells at the same points. A cell drawn twice takes the larger of its new values (the scatter-max nerfacc's
 * comment intends; its indexed assignment keeps an arbitrary one), see docs/paper-vs-code.md.
 */
public final class OccupancyGrid {

    /** Keeps the grid's draws apart from the run's other per-step streams. */
    private static final long STREAM = 0x6F63635F67726964L;

    private final NDManager manager;
    private final int resolution;
    private final RenderConfig config;
    private float[] values; // host copy of the occupancy, the source of truth for updates
    private NDArray occupancy; // [R³] float32, EMA of σ·step
    private NDArray binary; // [R³] bool
    private float meanOccupancy;

    public OccupancyGrid(RenderConfig config, NDManager manager) {
        this.manager = manager;
        this.config = config;
        this.resolution = config.occupancyResolution();
        int cells = resolution * resolution * resolution;
        values = new float[cells];
        occupancy = manager.zeros(new Shape(cells), DataType.FLOAT32);
        // nerfacc starts all-false and fills at step 0; starting all-true lets a render run before any update
        binary = manager.ones(new Shape(cells), DataType.BOOLEAN);
        meanOccupancy = config.occupancyThreshold();
    }

    /**
     * The refresh of step {@code step} (nerfacc's {@code _update}), from the field's density without gradient.
     *
     * @param seed the run's seed; with {@code step} it fixes which cells are drawn and where they are sampled
     */
    public void update(NerfField field, int step, long seed) {
        SplittableRandom rng =
                new SplittableRandom(seed * 0x9E3779B97F4A7C15L + (step + 1L) * 0xD1B54A32D192ED03L ^ STREAM);
        int[] cells = step < config.occupancyWarmupSteps() ? allCells() : sampledCells(rng);
        float[] occ = evaluate(field, cells, rng);
        float[] next = values.clone();
        boolean[] drawn = new boolean[values.length];
        float decay = config.occupancyDecay();
        for (int k = 0; k < cells.length; k++) {
            int c = cells[k];
            next[c] = drawn[c] ? Math.max(next[c], occ[k]) : Math.max(values[c] * decay, occ[k]);
            drawn[c] = true;
        }
        set(next);
    }

    private int[] allCells() {
        int[] all = new int[values.length];
        for (int c = 0; c < all.length; c++) {
            all[c] = c;
        }
        return all;
    }

    /** R³/4 uniform cells with replacement, then R³/4 occupied cells with replacement, or every occupied one. */
    private int[] sampledCells(SplittableRandom rng) {
        int total = values.length;
        int n = total / 4;
        boolean[] occupied = binary.toBooleanArray();
        int occupiedCount = 0;
        for (boolean o : occupied) {
            occupiedCount += o ? 1 : 0;
        }
        int[] occupiedCells = new int[occupiedCount];
        for (int c = 0, q = 0; c < total; c++) {
            if (occupied[c]) {
                occupiedCells[q++] = c;
            }
        }
        int fromOccupied = Math.min(n, occupiedCount);
        int[] cells = new int[n + fromOccupied];
        for (int k = 0; k < n; k++) {
            cells[k] = rng.nextInt(total);
        }
        for (int k = 0; k < fromOccupied; k++) {
            cells[n + k] = n < occupiedCount ? occupiedCells[rng.nextInt(occupiedCount)] : occupiedCells[k];
        }
        return cells;
    }

    /** σ·step at a jittered point of each cell: x = −1 + 2·(ijk + U[0,1)³)/R. */
    private float[] evaluate(NerfField field, int[] cells, SplittableRandom rng) {
        float[] x = new float[cells.length * 3];
        float scale = 2f / resolution;
        for (int k = 0; k < cells.length; k++) {
            int c = cells[k];
            int[] ijk = {c / (resolution * resolution), (c / resolution) % resolution, c % resolution};
            for (int d = 0; d < 3; d++) {
                // a float in [0, 1) on a 2⁻²⁴ lattice (a cast double could round up to 1)
                x[k * 3 + d] = (ijk[d] + rng.nextInt(1 << 24) * 0x1p-24f) * scale - 1f;
            }
        }
        float step = (float) config.stepSize();
        float[] occ = new float[cells.length];
        int chunk = Math.max(config.chunkRays(manager.getDevice()) * 8, 1);
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (int start = 0; start < cells.length; start += chunk) {
                int end = Math.min(cells.length, start + chunk);
                try (NDScope scope = new NDScope()) {
                    NDArray points = HostArrays.create(
                                    manager,
                                    java.util.Arrays.copyOfRange(x, start * 3, end * 3),
                                    new Shape(end - start, 3))
                            .toType(field.dtype(), false);
                    float[] sigma = field.density(points)
                            .toType(DataType.FLOAT32, false)
                            .toFloatArray();
                    for (int k = 0; k < sigma.length; k++) {
                        occ[start + k] = sigma[k] * step;
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return occ;
    }

    /** Takes {@code next} as the occupancy and binarizes it at min(mean(occ[occ ≥ 0]), threshold). */
    private void set(float[] next) {
        double sum = 0;
        for (float v : next) {
            sum += v;
        }
        float mean = (float) (sum / next.length);
        float threshold = Math.min(mean, config.occupancyThreshold());
        boolean[] bin = new boolean[next.length];
        for (int c = 0; c < next.length; c++) {
            bin[c] = next[c] > threshold;
        }
        values = next;
        meanOccupancy = mean;
        replace(HostArrays.create(manager, next), HostArrays.create(manager, bin));
    }

    private void replace(NDArray newOccupancy, NDArray newBinary) {
        // the grid outlives any step: keep its arrays out of whatever scope the refresh ran in
        NDScope.unregister(newOccupancy);
        NDScope.unregister(newBinary);
        occupancy.close();
        binary.close();
        occupancy = newOccupancy;
        binary = newBinary;
    }

    /** Occupied flag per world position [..., 3] → bool [...]. */
    public NDArray occupied(NDArray x) {
        NDArray cell = x.add(1)
                .mul(resolution / 2.0)
                .floor()
                .maximum(0)
                .minimum(resolution - 1)
                .toType(DataType.INT64, false);
        NDArray linear = cell.get("..., 0")
                .mul((long) resolution * resolution)
                .add(cell.get("..., 1").mul(resolution))
                .add(cell.get("..., 2"));
        return binary.get(linear);
    }

    /** nerfacc's alpha threshold for visibility pruning: min(threshold, mean occupancy). */
    public float alphaThreshold() {
        return Math.min(config.occupancyThreshold(), meanOccupancy);
    }

    public float[] occupancyValues() {
        return values.clone();
    }

    /** The state {@link #occupancyValues} returned; the binary grid follows from it as after an update. */
    public void restore(float[] restored) {
        if (restored.length != values.length) {
            throw new IllegalArgumentException(
                    "occupancy grid of " + restored.length + " cells, expected " + values.length);
        }
        boolean updated = false;
        for (float v : restored) {
            updated |= v != 0f;
        }
        if (updated) {
            set(restored.clone());
        } else {
            // the state before the first refresh: nothing evaluated yet, everything may be rendered
            values = restored.clone();
            meanOccupancy = config.occupancyThreshold();
            replace(
                    manager.zeros(new Shape(values.length), DataType.FLOAT32),
                    manager.ones(new Shape(values.length), DataType.BOOLEAN));
        }
    }

    public float occupiedFraction() {
        return binary.toType(DataType.FLOAT32, false).mean().getFloat();
    }
}
