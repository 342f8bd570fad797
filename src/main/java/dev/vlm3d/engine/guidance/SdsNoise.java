package dev.vlm3d.engine.guidance;

import java.util.Random;

/**
 * The randomness of one SDS step: the timestep and the two Gaussian draws (diffusion noise ε and the VAE posterior
 * sample). Drawn in Java from a per-job seed, so a run is reproducible whatever else uses the engine's global
 * generator; tests substitute recorded draws.
 */
public interface SdsNoise {

    /** A timestep uniform in [min, max], both inclusive (torch.randint(min, max + 1)). */
    int timestep(int min, int max);

    /** {@code n} independent N(0, 1) values. */
    float[] gaussian(int n);

    /**
     * Called by the guidance before the draws of each step; a source whose draws derive from the step
     * ({@link #stepSeeded}) restarts there, a sequence ({@link #seeded}) ignores it.
     */
    default void startStep(int step) {}

    /** The run's source: each step's draws from (seed, step), so a resumed run draws what the uninterrupted one did. */
    static SdsNoise stepSeeded(long seed) {
        return new StepSeededNoise(seed);
    }

    /** A seeded source: the same seed gives the same sequence of steps (whatever step the guidance is at). */
    static SdsNoise seeded(long seed) {
        Random random = new Random(seed);
        return new SdsNoise() {
            @Override
            public int timestep(int min, int max) {
                return min + random.nextInt(max - min + 1);
            }

            @Override
            public float[] gaussian(int n) {
                float[] out = new float[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (float) random.nextGaussian();
                }
                return out;
            }
        };
    }
}
