package dev.vlm3d.engine.guidance;

/**
 * threestudio's {@code C(value, step)} for a {@code [s0, v0, v1, s1]} schedule: v0 up to step s0, linear to v1 at
 * step s1, v1 afterwards. Computed in double with the reference's operation order, because the timestep bounds are
 * {@code int(1000·value)} and, e.g., 1000·0.68 truncates to 679.
 */
public record StepRamp(int startStep, double startValue, double endValue, int endStep) {

    public static StepRamp constant(double value) {
        return new StepRamp(0, value, value, 1);
    }

    /** The same ramp over a horizon stretched by {@code factor} (start and end steps scaled, at least 1 apart). */
    public StepRamp stretched(double factor) {
        int start = (int) Math.round(startStep * factor);
        int end = Math.max(start + 1, (int) Math.round(endStep * factor));
        return new StepRamp(start, startValue, endValue, end);
    }

    public double at(long step) {
        double r = (double) (step - startStep) / (double) (endStep - startStep);
        r = Math.max(Math.min(1.0, r), 0.0);
        return startValue + (endValue - startValue) * r;
    }

    /** Python's {@code int(scale * value)}: truncation toward zero. */
    public int truncatedAt(long step, int scale) {
        return (int) (scale * at(step));
    }
}
