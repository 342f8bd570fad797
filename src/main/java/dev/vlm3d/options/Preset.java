package dev.vlm3d.options;

import java.util.Arrays;
import java.util.List;

/**
 * The named run presets and their option defaults: the half of a preset that clients see. The other half, how each
 * builds the engine's run configuration, is {@code pipeline.Presets}, an exhaustive switch over this enum, so a
 * preset added here does not compile until it has a run. Every difference to the paper or the released code is
 * listed, with its reason, in docs/paper-vs-code.md.
 */
public enum Preset {
    /** The VLM3D run of the paper: 10,000 steps, λ_VLM 300 → 1 over them, the reward on every step. */
    PAPER("paper", 10_000, 10_000),
    /** The released config: 20,000 steps, λ_VLM annealed over the first 10,000 (the reward runs while it anneals). */
    PAPER_RELEASED("paper-released", 20_000, 10_000),
    /** A cheaper schedule of the same method: 2,500 steps, λ_VLM annealed over the run. */
    FAST("fast", 2_500, 2_500),
    /** CPU-sized, the default with the tiny random models: 40 steps. */
    PREVIEW("preview", 40, 40);

    /** Used when a request names no preset. */
    public static final Preset DEFAULT = PREVIEW;
    /** The wire names, in declaration order. */
    public static final List<String> NAMES =
            Arrays.stream(values()).map(Preset::wireName).toList();

    private final String wireName;
    private final int steps;
    private final int lambdaVlmAnnealSteps;

    Preset(String wireName, int steps, int lambdaVlmAnnealSteps) {
        this.wireName = wireName;
        this.steps = steps;
        this.lambdaVlmAnnealSteps = lambdaVlmAnnealSteps;
    }

    public String wireName() {
        return wireName;
    }

    /** The preset's own option values, before any job override (every preset asks the same defaults otherwise). */
    public GenerationOptions defaults() {
        return new GenerationOptions(
                this, steps, 300, 1, lambdaVlmAnnealSteps, VlmQuestion.SELECTED, false, true, Backbone.MVDREAM);
    }

    /** The preset of a wire name; null means {@link #DEFAULT}. */
    public static Preset of(String name) {
        if (name == null) {
            return DEFAULT;
        }
        for (Preset p : values()) {
            if (p.wireName.equals(name)) {
                return p;
            }
        }
        throw new InvalidOptionException(
                "INVALID_FIELD", "preset", "preset must be one of " + String.join(", ", NAMES));
    }
}
