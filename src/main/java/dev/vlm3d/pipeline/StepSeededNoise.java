package dev.vlm3d.pipeline;

import dev.vlm3d.engine.guidance.Guidance;
import dev.vlm3d.engine.guidance.GuidanceInput;
import dev.vlm3d.engine.guidance.GuidanceResult;
import dev.vlm3d.engine.guidance.SdsNoise;
import java.util.SplittableRandom;

/**
 * SDS randomness (timestep, ε, VAE posterior sample) drawn from a generator reseeded from (job seed, step) at every
 * step, like the rest of the run's randomness. {@link SdsNoise#seeded} is one sequence over the whole job, so a job
 * resumed from a checkpoint at step k would replay the draws of step 0 at step k; with this it continues exactly as
 * the uninterrupted job would.
 */
final class StepSeededNoise implements SdsNoise {

    private final long seed;
    private SplittableRandom random;

    StepSeededNoise(long seed) {
        this.seed = seed;
        startStep(0);
    }

    void startStep(int step) {
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

    /** The job's guidance, reseeding the noise from the step of each call. */
    static Guidance reseeding(Guidance guidance, StepSeededNoise noise) {
        return new Guidance() {
            @Override
            public GuidanceResult compute(GuidanceInput input) {
                noise.startStep(input.globalStep());
                return guidance.compute(input);
            }

            @Override
            public void close() {
                guidance.close();
            }
        };
    }
}
