package dev.vlm3d.engine.render;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.vlm3d.engine.field.NerfField;

/**
 * nerfacc's OccGridEstimator (one level over [−1, 1]³) as plain tensors: an EMA-max of σ·step per cell, binarized
 * at min(mean of the positive cells, threshold). Every update re-evaluates all cells at a jittered point; nerfacc
 * switches to 2·(R³/4) random cells after 256 steps, which at 32³ saves little and would add randomness to replay.
 */
public final class OccupancyGrid {

    private final NDManager manager;
    private final int resolution;
    private final RenderConfig config;
    private NDArray occupancy; // [R³] float32, EMA of σ·step
    private NDArray binary;    // [R³] bool
    private float meanOccupancy;
    private final NDArray cellCorners; // [R³, 3] integer cell coordinates as float32

    public OccupancyGrid(RenderConfig config, NDManager manager) {
        this.manager = manager;
        this.config = config;
        this.resolution = config.occupancyResolution();
        int cells = resolution * resolution * resolution;
        float[] ijk = new float[cells * 3];
        for (int c = 0; c < cells; c++) {
            ijk[c * 3] = c / (resolution * resolution);
            ijk[c * 3 + 1] = (c / resolution) % resolution;
            ijk[c * 3 + 2] = c % resolution;
        }
        cellCorners = manager.create(ijk, new Shape(cells, 3));
        occupancy = manager.zeros(new Shape(cells), DataType.FLOAT32);
        // nerfacc starts all-false and fills at step 0; starting all-true lets a render run before any update
        binary = manager.ones(new Shape(cells), DataType.BOOLEAN);
        meanOccupancy = config.occupancyThreshold();
    }

    /** Refresh from the field's density, without gradient. Uses the torch RNG for the in-cell jitter. */
    public void update(NerfField field) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDScope scope = new NDScope()) {
            int cells = resolution * resolution * resolution;
            NDArray jitter = manager.randomUniform(0f, 1f, new Shape(cells, 3), DataType.FLOAT32);
            NDArray x = cellCorners.add(jitter).mul(2.0 / resolution).sub(1).toType(field.dtype(), false);
            int chunk = Math.max(config.chunkRays(manager.getDevice()) * 8, 1);
            NDArray sigma = null;
            for (int start = 0; start < cells; start += chunk) {
                int end = Math.min(cells, start + chunk);
                NDArray part = field.density(x.get(start + ":" + end)).toType(DataType.FLOAT32, false);
                sigma = sigma == null ? part : sigma.concat(part);
            }
            NDArray value = sigma.mul(config.stepSize());
            NDArray updated = occupancy.mul(config.occupancyDecay()).maximum(value);
            NDArray positive = updated.gt(0);
            float positiveCount = positive.toType(DataType.FLOAT32, false).sum().getFloat();
            float mean = positiveCount > 0 ? updated.sum().getFloat() / positiveCount : 0f;
            float threshold = Math.min(mean, config.occupancyThreshold());
            NDArray newBinary = updated.gt(threshold);
            meanOccupancy = updated.mean().getFloat();
            replace(updated, newBinary);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    private void replace(NDArray newOccupancy, NDArray newBinary) {
        NDScope.unregister(newOccupancy, newBinary);
        newOccupancy.attach(manager);
        newBinary.attach(manager);
        occupancy.close();
        binary.close();
        occupancy = newOccupancy;
        binary = newBinary;
    }

    /** Occupied flag per world position [..., 3] → bool [...]. */
    public NDArray occupied(NDArray x) {
        NDArray cell = x.add(1).mul(resolution / 2.0).floor().maximum(0).minimum(resolution - 1)
                .toType(DataType.INT64, false);
        NDArray linear = cell.get("..., 0").mul((long) resolution * resolution)
                .add(cell.get("..., 1").mul(resolution)).add(cell.get("..., 2"));
        return binary.get(linear);
    }

    /** nerfacc's alpha threshold for visibility pruning: min(threshold, mean occupancy). */
    public float alphaThreshold() {
        return Math.min(config.occupancyThreshold(), meanOccupancy);
    }

    public float[] occupancyValues() {
        return occupancy.toFloatArray();
    }

    public void restore(float[] values) {
        try (NDScope scope = new NDScope()) {
            NDArray occ = manager.create(values);
            NDArray positive = occ.gt(0);
            float positiveCount = positive.toType(DataType.FLOAT32, false).sum().getFloat();
            float mean = positiveCount > 0 ? occ.sum().getFloat() / positiveCount : 0f;
            NDArray bin = positiveCount > 0 ? occ.gt(Math.min(mean, config.occupancyThreshold()))
                    : manager.ones(occ.getShape(), DataType.BOOLEAN);
            meanOccupancy = positiveCount > 0 ? occ.mean().getFloat() : config.occupancyThreshold();
            replace(occ, bin);
        }
    }

    public float occupiedFraction() {
        return binary.toType(DataType.FLOAT32, false).mean().getFloat();
    }
}
