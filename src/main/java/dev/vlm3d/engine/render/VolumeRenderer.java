package dev.vlm3d.engine.render;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.vlm3d.engine.field.EnvironmentBackground;
import dev.vlm3d.engine.field.NerfField;
import dev.vlm3d.nn.HostArrays;
import dev.vlm3d.nn.Lifetimes;
import dev.vlm3d.nn.NativeHeap;
import dev.vlm3d.nn.Scalars;
import java.util.ArrayList;
import java.util.List;

/**
 * NeRF volume rendering with nerfacc semantics in plain tensors.
 *
 * <p>Each ray gets a lattice of K slots {@code t_k = (k0 + k + u)·step} starting at its box entry, u the ray's
 * jitter ({@link RayBatch}). A slot is a candidate when its midpoint lies inside the box and in an occupied cell.
 * Candidates are compacted (nonzero), their density evaluated without gradient, and those with transmittance below
 * {@code earlyStopEps} or alpha below the grid's alpha threshold are dropped. The survivors are evaluated (σ, albedo
 * and analytic normals from one encoding pass) and scattered back onto the dense [R, K] lattice by a gather from a
 * zero-padded copy (DJL has no scatter_add, but the backward of a gather is one), where the exclusive cumulative sum
 * gives the transmittance.
 *
 * <p>Training renders in two passes so that peak memory is set by {@link RenderConfig#chunkRays()}, not by the
 * resolution or the view count: {@link #renderImages} renders every ray without gradient, chunk by chunk, and keeps
 * each chunk's surviving-sample mask; the loss terms then give dL/dimage; {@link #backpropagate} re-renders each
 * chunk with gradient on the same samples, injects its slice of dL/dimage plus its share of the orientation loss, and
 * runs backward per chunk so that parameter gradients accumulate. Rays are independent, so the result equals one
 * unchunked pass (see docs/engine.md).
 */
public final class VolumeRenderer {

    private final RenderConfig config;

    public VolumeRenderer(RenderConfig config) {
        this.config = config;
    }

    public RenderConfig config() {
        return config;
    }

    /**
     * Renders all rays in one pass in the current grad mode (evaluation callers chunk the rays themselves; with
     * gradient this is the unchunked reference of the two training passes).
     *
     * @param batchShape {B, H, W} with B·H·W = R
     */
    public RenderOutput render(
            NerfField field,
            EnvironmentBackground background,
            OccupancyGrid grid,
            RayBatch rays,
            int[] batchShape,
            RenderOptions options) {
        Chunk c = renderChunk(field, background, grid, rays, options, null);
        NDArray orientation = null;
        if (c.orientationSum() != null) {
            float hits = c.opacity().gt(0).toType(DataType.FLOAT32, false).sum().getFloat();
            orientation = c.orientationSum().div(Scalars.like(c.orientationSum(), Math.max(hits, 1f)));
        }
        int b = batchShape[0];
        int h = batchShape[1];
        int w = batchShape[2];
        return new RenderOutput(
                c.rgb().reshape(b, h, w, 3),
                c.opacity().reshape(b, h, w, 1),
                c.depth().reshape(b, h, w, 1),
                c.normal() == null ? null : c.normal().reshape(b, h, w, 3),
                orientation,
                c.samples());
    }

    /**
     * Training pass 1: every ray without gradient, chunk by chunk, each chunk in its own scope.
     *
     * @return the images [B, H, W, 3] (outside any graph), the per-chunk sample masks that pass 2 reuses, and the
     *         number of rays with opacity > 0 (the orientation loss's denominator)
     */
    public ImagePass renderImages(
            NerfField field,
            EnvironmentBackground background,
            OccupancyGrid grid,
            RayBatch rays,
            int[] batchShape,
            RenderOptions options) {
        long n = rays.size();
        long chunk = chunkRays(rays);
        // the images need normals only to shade; the orientation loss is pass 2's (it recomputes them with gradient)
        RenderOptions imageOptions =
                new RenderOptions(options.shading(), options.diffuseRatio(), false, options.solidBackground());
        List<NDArray> masks = new ArrayList<>();
        NDList rgbParts = new NDList();
        NDArray hits = null;
        long[] samples = {0};
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (long start = 0; start < n; start += chunk) {
                RayBatch part = rays.slice(start, Math.min(n, start + chunk));
                NDList kept = Lifetimes.scoped(() -> {
                    Chunk c = renderChunk(field, background, grid, part, imageOptions, null);
                    NDArray hit =
                            c.opacity().gt(0).toType(DataType.FLOAT32, false).sum();
                    samples[0] += c.samples();
                    return new NDList(c.rgb(), c.keep(), hit);
                });
                rgbParts.add(kept.get(0));
                masks.add(kept.get(1));
                hits = hits == null ? kept.get(2) : hits.add(kept.get(2));
                // the chunk's temporaries are freed, but the masks kept between them pin the arenas (see NativeHeap)
                NativeHeap.releaseFreeMemoryAbove(NativeHeap.RELEASE_MARGIN_BYTES);
            }
            NDArray rgb = rgbParts.size() == 1 ? rgbParts.get(0) : NDArrays.concat(rgbParts);
            return new ImagePass(
                    rgb.reshape(batchShape[0], batchShape[1], batchShape[2], 3), masks, hits.getFloat(), samples[0]);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /**
     * Training pass 2: re-renders each chunk with gradient on pass 1's samples and backpropagates
     * {@code Σ rgb·dL/drgb + λ_orient·orientation share}, so the field's and background's gradients accumulate.
     *
     * @param rgbGradient dL/drgb [B, H, W, 3] (or [R, 3]) at pass 1's images
     * @return the orientation loss Σ stopgrad(w)·max(0, n·d)² / #hit rays (NaN without normals)
     */
    public double backpropagate(
            NerfField field,
            EnvironmentBackground background,
            OccupancyGrid grid,
            RayBatch rays,
            RenderOptions options,
            ImagePass images,
            NDArray rgbGradient,
            double lambdaOrient,
            GradientCollector collector) {
        long n = rays.size();
        long chunk = chunkRays(rays);
        NDArray gradient = rgbGradient.reshape(n, 3);
        double orientScale = lambdaOrient / Math.max(images.hitRays(), 1f);
        double orientation = 0;
        boolean anyOrientation = false;
        long budget = config.chunkSamples(rays.origins().getDevice());
        int index = 0;
        for (long start = 0; start < n; start += chunk, index++) {
            NDArray mask = images.keepMasks().get(index);
            // the chunk's rays in ranges of at most `budget` surviving samples: pass 1 knows each ray's count. Its
            // own scope: the int64 copy of the [rays, K] mask (17 MB at 4,096 × 513) would otherwise live until the
            // step ends, once per chunk (1.1 GB at the paper's 4 × 256² views)
            long[] perRay = Lifetimes.hostValue(
                    () -> mask.toType(DataType.INT64, false).sum(new int[] {1}).toLongArray());
            for (long[] range : rayRanges(perRay, budget)) {
                long from = start + range[0];
                long to = start + range[1];
                try (NDScope scope = new NDScope()) {
                    Chunk c = renderChunk(
                            field,
                            background,
                            grid,
                            rays.slice(from, to),
                            options,
                            mask.get(range[0] + ":" + range[1]));
                    NDArray surrogate =
                            c.rgb().mul(gradient.get(from + ":" + to)).sum();
                    if (c.orientationSum() != null) {
                        anyOrientation = true;
                        orientation += c.orientationSum()
                                .toType(DataType.FLOAT64, false)
                                .getDouble();
                        if (orientScale != 0) {
                            surrogate = surrogate.add(c.orientationSum().mul(Scalars.like(surrogate, orientScale)));
                        }
                    }
                    collector.backward(surrogate);
                }
                NativeHeap.releaseFreeMemoryAbove(NativeHeap.RELEASE_MARGIN_BYTES);
            }
        }
        return anyOrientation ? orientation / Math.max(images.hitRays(), 1f) : Double.NaN;
    }

    /**
     * The output of training pass 1.
     *
     * @param rgb       [B, H, W, 3], no graph
     * @param keepMasks per chunk, the [rays, K] mask of the samples that survived pruning
     * @param hitRays   rays with opacity > 0
     * @param samples   surviving samples over all rays
     */
    public record ImagePass(NDArray rgb, List<NDArray> keepMasks, float hitRays, long samples) {}

    /**
     * Consecutive ray ranges [from, to) covering {@code samplesPerRay}, each holding at most {@code budget} samples
     * (a ray with more than the budget gets a range of its own).
     */
    static List<long[]> rayRanges(long[] samplesPerRay, long budget) {
        List<long[]> ranges = new ArrayList<>();
        int from = 0;
        long held = 0;
        for (int ray = 0; ray < samplesPerRay.length; ray++) {
            if (ray > from && held + samplesPerRay[ray] > budget) {
                ranges.add(new long[] {from, ray});
                from = ray;
                held = 0;
            }
            held += samplesPerRay[ray];
        }
        if (samplesPerRay.length > 0) {
            ranges.add(new long[] {from, samplesPerRay.length});
        }
        return ranges;
    }

    private long chunkRays(RayBatch rays) {
        int chunk = config.chunkRays(rays.origins().getDevice());
        return Math.max(1, Math.min(chunk, rays.size()));
    }

    /** One chunk of rays, start to end; {@code knownKeep} skips the pruning with pass 1's mask. */
    private Chunk renderChunk(
            NerfField field,
            EnvironmentBackground background,
            OccupancyGrid grid,
            RayBatch rays,
            RenderOptions options,
            NDArray knownKeep) {
        NDManager manager = rays.origins().getManager();
        DataType dtype = field.dtype();
        NDArray origins = rays.origins();
        NDArray directions = rays.directions();
        long n = rays.size();
        double step = config.stepSize();
        int slots = config.samplesPerRay() + 1;

        // ray / box [-1,1]^3 slab test; nothing here is on the gradient path
        NDArray safeDir = directions
                .abs()
                .maximum(1e-9)
                .mul(directions.gte(0).toType(dtype, false).mul(2).sub(1));
        NDArray inv = safeDir.pow(-1);
        NDArray t0 = origins.neg().sub(1).mul(inv);
        NDArray t1 = origins.neg().add(1).mul(inv);
        NDArray tNear = t0.minimum(t1).max(new int[] {1}).maximum(0);
        NDArray tFar = t0.maximum(t1).min(new int[] {1});
        NDArray jitter = rays.jitter();
        NDArray first = tNear.expandDims(1).div(step).sub(jitter).floor(); // [R,1]
        NDArray k = manager.arange(0, slots, 1, DataType.FLOAT32)
                .toType(dtype, false)
                .expandDims(0);
        NDArray tMid = first.add(k).add(jitter).mul(step).add(step / 2); // [R,K]
        NDArray flatPositions = origins.expandDims(1)
                .add(directions.expandDims(1).mul(tMid.expandDims(2)))
                .reshape(n * slots, 3);
        NDArray keep =
                knownKeep != null ? knownKeep : prune(field, grid, flatPositions, tMid, tNear, tFar, n, slots, step);

        NDArray keptIdx = keep.flatten().nonzero().reshape(-1);
        long kept = keptIdx.getShape().get(0);
        NDArray x = flatPositions.get(keptIdx);
        boolean normalsOn = options.needsNormals();
        NDList sample = evaluateSamples(field, x, normalsOn);
        NDArray sigma = sample.get(0);
        NDArray albedo = sample.get(1);
        NDArray normals = normalsOn ? sample.get(2) : null;
        NDArray rayOfSample = manager.arange(0, n, 1, DataType.INT64)
                .expandDims(1)
                .broadcast(new Shape(n, slots))
                .flatten()
                .get(keptIdx);
        NDArray color = shade(albedo, normals, x, normalsOn ? rays.lights().get(rayOfSample) : null, options);

        NDArray sigmaDense = scatterToLattice(sigma, keep, n, slots);
        // tensor constants on the gradient path: a Java-number operand is freed before backward on CPU (nn.Scalars)
        NDArray tau = sigmaDense.mul(Scalars.like(sigmaDense, step));
        NDArray transmittance = tau.cumSum(1).sub(tau).neg().exp();
        NDArray alpha = tau.neg().exp().neg().add(1);
        NDArray weights = transmittance.mul(alpha); // [R,K]
        NDArray colorDense = scatterToLattice(color, keep, n, slots); // [R,K,3]
        NDArray opacity = weights.sum(new int[] {1}, true); // [R,1]
        NDArray depth = weights.mul(tMid).sum(new int[] {1}, true);
        NDArray rgbForeground = weights.expandDims(2).mul(colorDense).sum(new int[] {1}); // [R,3]

        NDArray bgColor = background.forward(directions);
        if (options.solidBackground() != null) {
            // the released code renders network·0 + colour: the background network gets a zero gradient, not none,
            // so AdamW still steps it (momentum, weight decay); see docs/paper-vs-code.md
            NDArray solid =
                    HostArrays.create(manager, options.solidBackground()).toType(dtype, false);
            bgColor = bgColor.mul(Scalars.like(bgColor, 0)).add(solid.expandDims(0));
        }
        NDArray rgb = rgbForeground.add(bgColor.mul(opacity.neg().add(1)));

        NDArray normalImage = null;
        NDArray orientationSum = null;
        if (normals != null) {
            NDArray normalDense = scatterToLattice(normals, keep, n, slots);
            normalImage = weights.expandDims(2).mul(normalDense).sum(new int[] {1});
            NDArray keptWeights = weights.flatten().get(keptIdx).stopGradient();
            NDArray cosine = normals.mul(directions.get(rayOfSample)).sum(new int[] {1});
            NDArray facing = cosine.maximum(Scalars.like(cosine, 0));
            orientationSum = keptWeights.mul(facing.square()).sum();
        }
        return new Chunk(rgb, opacity, depth, normalImage, orientationSum, keep, kept);
    }

    /** Visibility pruning without gradient: candidates whose transmittance and alpha pass the thresholds. */
    private NDArray prune(
            NerfField field,
            OccupancyGrid grid,
            NDArray flatPositions,
            NDArray tMid,
            NDArray tNear,
            NDArray tFar,
            long n,
            int slots,
            double step) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            NDArray inside = tMid.gte(tNear.expandDims(1)).logicalAnd(tMid.lte(tFar.expandDims(1)));
            NDArray candidate = inside.logicalAnd(grid.occupied(flatPositions).reshape(n, slots));
            NDArray candIdx = candidate.flatten().nonzero().reshape(-1);
            NDArray sigma = densityChunked(field, flatPositions.get(candIdx));
            NDArray sigmaDense = scatterToLattice(sigma, candidate, n, slots);
            NDArray tau = sigmaDense.mul(step);
            NDArray transmittance = tau.cumSum(1).sub(tau).neg().exp();
            NDArray alpha = tau.neg().exp().neg().add(1);
            return candidate
                    .logicalAnd(transmittance.gte(config.earlyStopEps()))
                    .logicalAnd(alpha.gte(grid.alphaThreshold()));
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    private record Chunk(
            NDArray rgb,
            NDArray opacity,
            NDArray depth,
            NDArray normal,
            NDArray orientationSum,
            NDArray keep,
            long samples) {}

    private NDArray shade(NDArray albedo, NDArray normals, NDArray x, NDArray lights, RenderOptions options) {
        if (options.shading() == ShadingMode.ALBEDO) {
            return albedo;
        }
        NDArray toLight = lights.sub(x);
        NDArray lightDir =
                toLight.div(toLight.square().sum(new int[] {1}, true).sqrt().maximum(1e-12));
        float r = options.diffuseRatio();
        NDArray cosine = normals.mul(lightDir).sum(new int[] {1}, true);
        NDArray shade = cosine.maximum(Scalars.like(cosine, 0))
                .mul(Scalars.like(cosine, r))
                .add(Scalars.like(cosine, 1 - r)); // [N,1]
        if (options.shading() == ShadingMode.TEXTURELESS) {
            return shade.broadcast(new Shape(albedo.getShape().get(0), 3));
        }
        return albedo.mul(shade);
    }

    /**
     * σ, albedo (and normals) of the surviving samples. With gradient the caller bounds their number (the ray ranges
     * of {@link #backpropagate}); without, they are evaluated in sub-chunks of the sample budget whose temporaries
     * die with each sub-chunk.
     */
    private NDList evaluateSamples(NerfField field, NDArray x, boolean normals) {
        long n = x.getShape().get(0);
        long chunk = config.chunkSamples(x.getDevice());
        if (JniUtils.isGradMode() || n <= chunk) {
            return normals ? field.densityAlbedoAndNormals(x) : field.densityAndAlbedo(x);
        }
        List<NDList> parts = new ArrayList<>();
        for (long s = 0; s < n; s += chunk) {
            NDArray part = x.get(s + ":" + Math.min(n, s + chunk));
            parts.add(normals ? field.densityAlbedoAndNormals(part) : field.densityAndAlbedo(part));
        }
        NDList joined = new NDList();
        for (int i = 0; i < parts.get(0).size(); i++) {
            NDList column = new NDList();
            for (NDList p : parts) {
                column.add(p.get(i));
            }
            joined.add(NDArrays.concat(column));
        }
        return joined;
    }

    /** σ of many points without gradient, in sub-chunks of the sample budget. */
    private NDArray densityChunked(NerfField field, NDArray x) {
        long n = x.getShape().get(0);
        long chunk = config.chunkSamples(x.getDevice());
        if (n <= chunk) {
            return field.density(x);
        }
        NDList parts = new NDList();
        for (long s = 0; s < n; s += chunk) {
            parts.add(field.density(x.get(s + ":" + Math.min(n, s + chunk))));
        }
        return NDArrays.concat(parts);
    }

    /**
     * Place per-sample values [M, C…] (in the row-major order of {@code mask}'s true entries) onto the lattice
     * [R, K, C…] with zeros elsewhere, differentiably.
     */
    static NDArray scatterToLattice(NDArray values, NDArray mask, long rays, int slots) {
        long m = values.getShape().get(0);
        NDArray maskLong = mask.flatten().toType(DataType.INT64, false);
        NDArray rank = maskLong.cumSum(0).sub(1);
        // slots outside the mask point at the appended zero row
        NDArray index = rank.mul(maskLong).add(maskLong.neg().add(1).mul(m));
        Shape rowShape = values.getShape().slice(1);
        NDArray zero = values.getManager().zeros(new Shape(1).addAll(rowShape), values.getDataType());
        NDArray padded = values.concat(zero);
        NDArray gathered = padded.get(index);
        return gathered.reshape(new Shape(rays, slots).addAll(rowShape));
    }
}
