package dev.vlm3d.engine.guidance;

import java.util.SplittableRandom;

/**
 * SDS randomness (timestep, ε, VAE posterior sample) drawn from a generator reseeded from (job seed, step) at every
 * step, like the rest of the run's randomness. {@link SdsNoise#seeded} is one sequence over the whole job, so a job
 * resumed from a checkpoint at step k would replay the draws of step 0 at step k; with this it continues exactly as
 * the uninterrupted job would. {@link SdsGuidance#compute} starts each step's draws ({@link #startStep}); made by
 * {@link SdsNoise#stepSeeded}.
 */
final class StepSeededNoise implements SdsNoise {

    private final long seed;
    private SplittableRandom random;

    StepSeededNoise(long seed) {
        this.seed = seed;
        startStep(0);
    }

    @Override
    public void startStep(int step) {
        random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step * 0xC2B2AE3D27D4EB4FL + 0x165667B19E3779F9L);
    }

    @Override
    public int timestep(int min, int max) {
        return min + random.nextInt(max - min + 1);
    }

    @Override
    public float[] gaussian(int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) nextGaussian();
        }
        return out;
    }

    /** Marsaglia polar method (SplittableRandom has no Gaussian on Java 17). */
    private double nextGaussian() {
        double u;
        double v;
        double s;
        do {
            u = random.nextDouble(-1.0, 1.0);
            v = random.nextDouble(-1.0, 1.0);
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        return u * Math.sqrt(-2 * Math.log(s) / s);
    }
}
