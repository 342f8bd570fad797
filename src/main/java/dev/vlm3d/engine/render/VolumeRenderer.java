package dev.vlm3d.engine.render;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.vlm3d.engine.field.EnvironmentBackground;
import dev.vlm3d.engine.field.NerfField;
import dev.vlm3d.nn.Scalars;

/**
 * NeRF volume rendering with nerfacc semantics in plain tensors (spec §10.2).
 *
 * <p>Each ray gets a lattice of K slots {@code t_k = (k0 + k + u)·step} starting at its box entry, u the stratified
 * jitter. A slot is a candidate when its midpoint lies inside the box and in an occupied cell. Candidates are
 * compacted (nonzero), their density evaluated without gradient, and those with transmittance below
 * {@code earlyStopEps} or alpha below the grid's alpha threshold are dropped. The survivors are evaluated again with
 * gradient and scattered back onto the dense [R, K] lattice by a gather from a zero-padded copy (DJL has no
 * scatter_add, but the backward of a gather is one), where the exclusive cumulative sum gives the transmittance.
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
     * Render rays. Uses the torch RNG for the jitter when {@code options.jitter()}.
     *
     * @param origins     [R, 3]
     * @param directions  [R, 3], unit length
     * @param lights      [R, 3] point-light position per ray (used by the shaded modes)
     * @param batchShape  {B, H, W} with B·H·W = R
     */
    public RenderOutput render(NerfField field, EnvironmentBackground background, OccupancyGrid grid,
            NDArray origins, NDArray directions, NDArray lights, int[] batchShape, RenderOptions options) {
        NDManager manager = origins.getManager();
        DataType dtype = field.dtype();
        long rays = origins.getShape().get(0);
        double step = config.stepSize();
        int slots = config.samplesPerRay() + 1;

        // ray / box [-1,1]^3 slab test
        NDArray safeDir = directions.abs().maximum(1e-9).mul(directions.gte(0).toType(dtype, false).mul(2).sub(1));
        NDArray inv = safeDir.pow(-1);
        NDArray t0 = origins.neg().sub(1).mul(inv);
        NDArray t1 = origins.neg().add(1).mul(inv);
        NDArray tNear = t0.minimum(t1).max(new int[] {1}).maximum(0);
        NDArray tFar = t0.maximum(t1).min(new int[] {1});
        NDArray jitter = options.jitter()
                ? manager.randomUniform(0f, 1f, new Shape(rays, 1), DataType.FLOAT32).toType(dtype, false)
                : manager.zeros(new Shape(rays, 1), dtype);
        NDArray first = tNear.expandDims(1).div(step).sub(jitter).floor();                  // [R,1]
        NDArray k = manager.arange(0, slots, 1, DataType.FLOAT32).toType(dtype, false).expandDims(0);
        NDArray tStart = first.add(k).add(jitter).mul(step);                                 // [R,K]
        NDArray tMid = tStart.add(step / 2);
        NDArray inside = tMid.gte(tNear.expandDims(1)).logicalAnd(tMid.lte(tFar.expandDims(1)));
        NDArray positions = origins.expandDims(1).add(directions.expandDims(1).mul(tMid.expandDims(2))); // [R,K,3]
        NDArray candidate = inside.logicalAnd(grid.occupied(positions));
        NDArray flatPositions = positions.reshape(rays * slots, 3);

        // visibility pruning without gradient
        NDArray keep;
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            NDArray candIdx = candidate.flatten().nonzero().reshape(-1);
            NDArray sigma = densityChunked(field, flatPositions.get(candIdx));
            NDArray sigmaDense = scatterToLattice(sigma, candidate, rays, slots);
            NDArray tau = sigmaDense.mul(step);
            NDArray transmittance = tau.cumSum(1).sub(tau).neg().exp();
            NDArray alpha = tau.neg().exp().neg().add(1);
            keep = candidate.logicalAnd(transmittance.gte(config.earlyStopEps()))
                    .logicalAnd(alpha.gte(grid.alphaThreshold()));
        } finally {
            JniUtils.setGradMode(grad);
        }

        NDArray keptIdx = keep.flatten().nonzero().reshape(-1);
        long kept = keptIdx.getShape().get(0);
        NDArray x = flatPositions.get(keptIdx);
        NDList sigmaAlbedo = field.densityAndAlbedo(x);
        NDArray sigma = sigmaAlbedo.get(0);
        NDArray albedo = sigmaAlbedo.get(1);
        NDArray rayOfSample = manager.arange(0, rays, 1, DataType.INT64).expandDims(1)
                .broadcast(new Shape(rays, slots)).flatten().get(keptIdx);
        NDArray normals = null;
        if (options.normals() || options.shading() != ShadingMode.ALBEDO) {
            normals = field.normals(x, sigma);
        }
        NDArray color = shade(albedo, normals, x, lights.get(rayOfSample), options);

        NDArray sigmaDense = scatterToLattice(sigma, keep, rays, slots);
        // tensor constants on the gradient path: a Java-number operand is freed before backward on CPU (nn.Scalars)
        NDArray tau = sigmaDense.mul(Scalars.like(sigmaDense, step));
        NDArray transmittance = tau.cumSum(1).sub(tau).neg().exp();
        NDArray alpha = tau.neg().exp().neg().add(1);
        NDArray weights = transmittance.mul(alpha);                                          // [R,K]
        NDArray colorDense = scatterToLattice(color, keep, rays, slots);                    // [R,K,3]
        NDArray opacity = weights.sum(new int[] {1}, true);                                  // [R,1]
        NDArray depth = weights.mul(tMid).sum(new int[] {1}, true);
        NDArray rgbForeground = weights.expandDims(2).mul(colorDense).sum(new int[] {1});   // [R,3]

        NDArray bgColor;
        if (options.solidBackground() != null) {
            bgColor = manager.create(options.solidBackground()).toType(dtype, false).expandDims(0);
        } else {
            bgColor = background.forward(directions);
        }
        NDArray rgb = rgbForeground.add(bgColor.mul(opacity.neg().add(1)));

        NDArray normalImage = null;
        NDArray orientation = null;
        if (normals != null) {
            NDArray normalDense = scatterToLattice(normals, keep, rays, slots);
            normalImage = weights.expandDims(2).mul(normalDense).sum(new int[] {1});
            NDArray keptWeights = weights.flatten().get(keptIdx).stopGradient();
            NDArray cosine = normals.mul(directions.get(rayOfSample)).sum(new int[] {1});
            NDArray facing = cosine.maximum(Scalars.like(cosine, 0));
            float hitRays = opacity.gt(0).toType(DataType.FLOAT32, false).sum().getFloat();
            NDArray weighted = keptWeights.mul(facing.square()).sum();
            orientation = weighted.div(Scalars.like(weighted, Math.max(hitRays, 1f)));
        }
        int b = batchShape[0];
        int h = batchShape[1];
        int w = batchShape[2];
        return new RenderOutput(rgb.reshape(b, h, w, 3), opacity.reshape(b, h, w, 1), depth.reshape(b, h, w, 1),
                normalImage == null ? null : normalImage.reshape(b, h, w, 3), weights, orientation, kept);
    }

    private NDArray shade(NDArray albedo, NDArray normals, NDArray x, NDArray lights, RenderOptions options) {
        if (options.shading() == ShadingMode.ALBEDO) {
            return albedo;
        }
        NDArray toLight = lights.sub(x);
        NDArray lightDir = toLight.div(toLight.square().sum(new int[] {1}, true).sqrt().maximum(1e-12));
        float r = options.diffuseRatio();
        NDArray cosine = normals.mul(lightDir).sum(new int[] {1}, true);
        NDArray shade = cosine.maximum(Scalars.like(cosine, 0)).mul(Scalars.like(cosine, r)).add(1 - r); // [N,1]
        if (options.shading() == ShadingMode.TEXTURELESS) {
            return shade.broadcast(new Shape(albedo.getShape().get(0), 3));
        }
        return albedo.mul(shade);
    }

    private NDArray densityChunked(NerfField field, NDArray x) {
        long n = x.getShape().get(0);
        long chunk = (long) config.evalChunkRays() * 32;
        if (n <= chunk) {
            return field.density(x);
        }
        NDArray out = null;
        for (long s = 0; s < n; s += chunk) {
            NDArray part = field.density(x.get(s + ":" + Math.min(n, s + chunk)));
            out = out == null ? part : out.concat(part);
        }
        return out;
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
