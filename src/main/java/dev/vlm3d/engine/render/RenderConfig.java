package dev.vlm3d.engine.render;

import ai.djl.Device;

/**
 * nerf-volume-renderer + occupancy grid + diffuse-with-point-light material + background augmentation.
 *
 * @param samplesPerRay        lattice samples along the cube diagonal; step = √3·2/samplesPerRay (paper: 512)
 * @param occupancyResolution  occupancy grid cells per axis (paper: 32)
 * @param occupancyEvery       refresh the grid every this many steps (paper: 16)
 * @param occupancyDecay       EMA-max decay of the grid (nerfacc: 0.95)
 * @param occupancyThreshold   upper bound of the occupancy and alpha thresholds (nerfacc: 0.01)
 * @param earlyStopEps         drop samples whose transmittance falls below this (nerfacc: 1e-4)
 * @param backgroundRandomProb probability of replacing the background by one random colour (paper: 0.5)
 * @param ambientOnlySteps     steps rendered with albedo only (paper: 5000)
 * @param albedoProb           after that, probability of the albedo-only mode (paper: 0.25)
 * @param texturelessProb      else, probability of textureless over diffuse shading (paper: 0.5)
 * @param chunkRays            rays per chunk in every render (both training passes, evaluation, occupancy updates):
 *                             the knob that sets a step's peak memory; 0 picks the device's default
 *                             ({@link #chunkRays(Device)})
 * @param occupancyWarmupSteps refreshes before this step re-evaluate every cell; later ones a random quarter of the
 *                             cells plus up to a quarter of the occupied ones (nerfacc: 256)
 * @param chunkSamples         surviving samples evaluated at once: the gradient pass splits a ray chunk into ray
 *                             ranges holding at most this many, and no-grad evaluations run in sub-chunks of it. A
 *                             ray chunk's lattice is bounded by {@code chunkRays}, but its surviving samples grow as
 *                             the density sharpens; this bound keeps the peak flat over a run. 0 picks the device's
 *                             default ({@link #chunkSamples(Device)})
 */
public record RenderConfig(
        int samplesPerRay,
        int occupancyResolution,
        int occupancyEvery,
        float occupancyDecay,
        float occupancyThreshold,
        float earlyStopEps,
        float backgroundRandomProb,
        int ambientOnlySteps,
        float albedoProb,
        float texturelessProb,
        int chunkRays,
        int occupancyWarmupSteps,
        int chunkSamples) {

    /** The same with the device's default sample budget. */
    public RenderConfig(
            int samplesPerRay,
            int occupancyResolution,
            int occupancyEvery,
            float occupancyDecay,
            float occupancyThreshold,
            float earlyStopEps,
            float backgroundRandomProb,
            int ambientOnlySteps,
            float albedoProb,
            float texturelessProb,
            int chunkRays,
            int occupancyWarmupSteps) {
        this(
                samplesPerRay,
                occupancyResolution,
                occupancyEvery,
                occupancyDecay,
                occupancyThreshold,
                earlyStopEps,
                backgroundRandomProb,
                ambientOnlySteps,
                albedoProb,
                texturelessProb,
                chunkRays,
                occupancyWarmupSteps,
                0);
    }

    /** nerfacc's OccGridEstimator.update_every_n_steps default. */
    public static final int NERFACC_WARMUP_STEPS = 256;

    /** The same with nerfacc's occupancy warm-up of {@value #NERFACC_WARMUP_STEPS} steps. */
    public RenderConfig(
            int samplesPerRay,
            int occupancyResolution,
            int occupancyEvery,
            float occupancyDecay,
            float occupancyThreshold,
            float earlyStopEps,
            float backgroundRandomProb,
            int ambientOnlySteps,
            float albedoProb,
            float texturelessProb,
            int chunkRays) {
        this(
                samplesPerRay,
                occupancyResolution,
                occupancyEvery,
                occupancyDecay,
                occupancyThreshold,
                earlyStopEps,
                backgroundRandomProb,
                ambientOnlySteps,
                albedoProb,
                texturelessProb,
                chunkRays,
                NERFACC_WARMUP_STEPS);
    }

    public static RenderConfig paper() {
        return new RenderConfig(512, 32, 16, 0.95f, 0.01f, 1e-4f, 0.5f, 5000, 0.25f, 0.5f, 0);
    }

    /** Rays per chunk on the CPU when {@code chunkRays} is 0: a few hundred MB of temporaries at 512 samples. */
    public static final int CPU_CHUNK_RAYS = 4096;
    /**
     * Rays per chunk on a GPU when {@code chunkRays} is 0: about 13 GB at 512 samples by the per-ray figure measured
     * on the CPU, which leaves the 7B reward and MVDream room on an 80 GB A100 in every precision mode (the
     * projection in docs/benchmarks.md); 4 chunks per phase-B step.
     */
    public static final int GPU_CHUNK_RAYS = 16384;

    /**
     * Surviving samples per evaluation on the CPU when {@code chunkSamples} is 0: 32 per ray of a CPU chunk (the
     * run's measured peaks against it are in docs/benchmarks.md).
     */
    public static final int CPU_CHUNK_SAMPLES = 131_072;
    /** The same on a GPU: 64 per ray of a GPU chunk. */
    public static final int GPU_CHUNK_SAMPLES = 1_048_576;

    /** The sample budget in effect on {@code device}. */
    public int chunkSamples(Device device) {
        if (chunkSamples > 0) {
            return chunkSamples;
        }
        return device.isGpu() ? GPU_CHUNK_SAMPLES : CPU_CHUNK_SAMPLES;
    }

    /** The chunk size in effect on {@code device}. */
    public int chunkRays(Device device) {
        if (chunkRays > 0) {
            return chunkRays;
        }
        return device.isGpu() ? GPU_CHUNK_RAYS : CPU_CHUNK_RAYS;
    }

    public RenderConfig withChunkRays(int rays) {
        return new RenderConfig(
                samplesPerRay,
                occupancyResolution,
                occupancyEvery,
                occupancyDecay,
                occupancyThreshold,
                earlyStopEps,
                backgroundRandomProb,
                ambientOnlySteps,
                albedoProb,
                texturelessProb,
                rays,
                occupancyWarmupSteps,
                chunkSamples);
    }

    public RenderConfig withSamplesPerRay(int samples) {
        return new RenderConfig(
                samples,
                occupancyResolution,
                occupancyEvery,
                occupancyDecay,
                occupancyThreshold,
                earlyStopEps,
                backgroundRandomProb,
                ambientOnlySteps,
                albedoProb,
                texturelessProb,
                chunkRays,
                occupancyWarmupSteps,
                chunkSamples);
    }

    public RenderConfig withOccupancyWarmupSteps(int steps) {
        return new RenderConfig(
                samplesPerRay,
                occupancyResolution,
                occupancyEvery,
                occupancyDecay,
                occupancyThreshold,
                earlyStopEps,
                backgroundRandomProb,
                ambientOnlySteps,
                albedoProb,
                texturelessProb,
                chunkRays,
                steps,
                chunkSamples);
    }

    public RenderConfig withAmbientOnlySteps(int steps) {
        return new RenderConfig(
                samplesPerRay,
                occupancyResolution,
                occupancyEvery,
                occupancyDecay,
                occupancyThreshold,
                earlyStopEps,
                backgroundRandomProb,
                steps,
                albedoProb,
                texturelessProb,
                chunkRays,
                occupancyWarmupSteps,
                chunkSamples);
    }

    public RenderConfig withChunkSamples(int samples) {
        return new RenderConfig(
                samplesPerRay,
                occupancyResolution,
                occupancyEvery,
                occupancyDecay,
                occupancyThreshold,
                earlyStopEps,
                backgroundRandomProb,
                ambientOnlySteps,
                albedoProb,
                texturelessProb,
                chunkRays,
                occupancyWarmupSteps,
                samples);
    }

    public double stepSize() {
        return Math.sqrt(3.0) * 2.0 / samplesPerRay;
    }
}
