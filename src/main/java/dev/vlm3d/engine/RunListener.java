package dev.vlm3d.engine;

/** Progress callback, called on the run's thread after every step. Keep it cheap. */
@FunctionalInterface
public interface RunListener {

    void onStep(StepReport report);

    RunListener NONE = report -> {};
}
