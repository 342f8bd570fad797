package dev.vlm3d.engine.render;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The rays of one render and their stratified jitter, drawn once so that every pass over the rays (the training
 * step's image pass and its gradient pass, or any chunking of either) places the samples at the same depths.
 *
 * @param origins    [R, 3]
 * @param directions [R, 3], unit length
 * @param lights     [R, 3] point-light position per ray (used by the shaded modes)
 * @param jitter     [R, 1] offset of the sample lattice in units of the step, in [0, 1) (zeros for evaluation)
 */
public record RayBatch(NDArray origins, NDArray directions, NDArray lights, NDArray jitter) {

    /** Rays of {@code batch} with jitter from the torch RNG ({@code jittered}) or none. */
    public static RayBatch of(CameraBatch batch, NDManager manager, DataType dtype, boolean jittered) {
        NDArray[] rays = batch.rays(manager, dtype);
        long n = rays[0].getShape().get(0);
        NDArray jitter = jittered
                ? manager.randomUniform(0f, 1f, new Shape(n, 1), DataType.FLOAT32)
                        .toType(dtype, false)
                : manager.zeros(new Shape(n, 1), dtype);
        return new RayBatch(rays[0], rays[1], rays[2], jitter);
    }

    public long size() {
        return origins.getShape().get(0);
    }

    /** Rays {@code from} (inclusive) to {@code to} (exclusive). */
    public RayBatch slice(long from, long to) {
        String range = from + ":" + to;
        return new RayBatch(origins.get(range), directions.get(range), lights.get(range), jitter.get(range));
    }
}
