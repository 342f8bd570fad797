package dev.vlm3d.engine;

/**
 * Thrown when {@link Vlm3dRun#NON_FINITE_LIMIT} consecutive steps had a non-finite loss or gradient. Those steps were
 * skipped (like torch's GradScaler skips them), so the field still holds the last good state.
 */
public final class NonFiniteStepException extends RuntimeException {

    private final int step;

    public NonFiniteStepException(int step, int consecutive) {
        super(consecutive + " consecutive steps up to step " + step
                + " had a non-finite loss or gradient; the updates were skipped and the run stopped");
        this.step = step;
    }

    /** The last (skipped) step. */
    public int step() {
        return step;
    }
}
