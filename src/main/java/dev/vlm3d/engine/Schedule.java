package dev.vlm3d.engine;

/**
 * threestudio's {@code [s0, v0, v1, s1]} schedule: v0 up to step s0, linear to v1 at step s1, v1 afterwards.
 */
public record Schedule(int startStep, double startValue, double endValue, int endStep) {

    public static Schedule constant(double value) {
        return new Schedule(0, value, value, 0);
    }

    public double at(int step) {
        if (endStep <= startStep) {
            return step < startStep ? startValue : endValue;
        }
        double t = Math.min(1.0, Math.max(0.0, (double) (step - startStep) / (endStep - startStep)));
        return startValue + (endValue - startValue) * t;
    }
}
