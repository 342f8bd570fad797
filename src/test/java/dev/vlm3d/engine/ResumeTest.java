package dev.vlm3d.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import dev.vlm3d.engine.field.Parameter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Stopping at step k and resuming from the checkpoint reproduces the uninterrupted run exactly. */
class ResumeTest {

    private static final int STEPS = 14;
    private static final int STOP = 6;

    @Test
    void resumedRunMatchesUninterruptedRun() throws Exception {
        // random background, shaded modes after half the steps and the orientation loss all exercise the RNG replay
        RunConfig config = RunConfig.tiny(STEPS)
                .withCheckpointEvery(STOP)
                .withLoss(new LossConfig(1.0, new Schedule(0, 0.1, 10, STEPS), Schedule.constant(0), 0));
        List<float[]> uninterrupted;
        List<Double> uninterruptedLosses = new ArrayList<>();
        try (Vlm3dRun run = new Vlm3dRun(config, new SphereTargetGuidance(TestConfigs.FOVY), null, Device.cpu())) {
            run.run(RunHooks.listening(r -> uninterruptedLosses.add(r.totalLoss())));
            uninterrupted = snapshot(run);
        }

        ByteArrayOutputStream checkpoint = new ByteArrayOutputStream();
        AtomicInteger saves = new AtomicInteger();
        try (Vlm3dRun first = new Vlm3dRun(config, new SphereTargetGuidance(TestConfigs.FOVY), null, Device.cpu())) {
            // the cancel hook stops the run right after the checkpoint at STOP was handed to the sink
            RunOutcome outcome = first.run(new RunHooks(
                    RunListener.NONE,
                    () -> saves.get() > 0 ? RunHooks.Stop.CANCEL : RunHooks.Stop.CONTINUE,
                    (step, writer) -> {
                        assertEquals(STOP, step);
                        writer.writeTo(checkpoint);
                        saves.incrementAndGet();
                    }));
            assertEquals(RunOutcome.CANCELLED, outcome);
            assertEquals(STOP, first.currentStep());
        }
        try (Vlm3dRun resumed = new Vlm3dRun(
                config.withSeed(config.seed()), new SphereTargetGuidance(TestConfigs.FOVY), null, Device.cpu())) {
            resumed.restoreCheckpoint(new ByteArrayInputStream(checkpoint.toByteArray()));
            assertEquals(STOP, resumed.currentStep());
            assertEquals(RunOutcome.COMPLETED, resumed.run(RunHooks.none()));
            List<float[]> after = snapshot(resumed);
            for (int i = 0; i < after.size(); i++) {
                assertArrayEquals(uninterrupted.get(i), after.get(i), 0f, "parameter " + i);
            }
            assertEquals(STEPS, resumed.history().size());
            for (int s = 0; s < STEPS; s++) {
                assertEquals(
                        uninterruptedLosses.get(s), resumed.history().get(s).totalLoss(), 0.0, "loss at " + s);
            }
        }
    }

    /**
     * A suspend between checkpoints (a worker's shutdown): the run hands the state of the step it stops at to the
     * sink, and a run resumed from it ends exactly where the uninterrupted run ends.
     */
    @Test
    void suspendCheckpointsTheStepItStopsAtAndResumesExactly() throws Exception {
        int suspendAt = STOP + 3;
        RunConfig config = RunConfig.tiny(STEPS)
                .withCheckpointEvery(STOP)
                .withLoss(new LossConfig(1.0, new Schedule(0, 0.1, 10, STEPS), Schedule.constant(0), 0));
        List<float[]> uninterrupted;
        try (Vlm3dRun run = new Vlm3dRun(config, new SphereTargetGuidance(TestConfigs.FOVY), null, Device.cpu())) {
            assertEquals(RunOutcome.COMPLETED, run.run(RunHooks.none()));
            uninterrupted = snapshot(run);
        }
        List<Integer> saved = new ArrayList<>();
        ByteArrayOutputStream checkpoint = new ByteArrayOutputStream();
        try (Vlm3dRun first = new Vlm3dRun(config, new SphereTargetGuidance(TestConfigs.FOVY), null, Device.cpu())) {
            RunOutcome outcome = first.run(new RunHooks(
                    RunListener.NONE,
                    () -> first.currentStep() == suspendAt ? RunHooks.Stop.SUSPEND : RunHooks.Stop.CONTINUE,
                    (step, writer) -> {
                        saved.add(step);
                        checkpoint.reset();
                        writer.writeTo(checkpoint);
                    }));
            assertEquals(RunOutcome.SUSPENDED, outcome);
            assertEquals(List.of(STOP, suspendAt), saved, "the cadence's checkpoint, then the suspend's");
        }
        try (Vlm3dRun resumed = new Vlm3dRun(config, new SphereTargetGuidance(TestConfigs.FOVY), null, Device.cpu())) {
            resumed.restoreCheckpoint(new ByteArrayInputStream(checkpoint.toByteArray()));
            assertEquals(suspendAt, resumed.currentStep());
            assertEquals(RunOutcome.COMPLETED, resumed.run(RunHooks.none()));
            List<float[]> after = snapshot(resumed);
            for (int i = 0; i < after.size(); i++) {
                assertArrayEquals(uninterrupted.get(i), after.get(i), 0f, "parameter " + i);
            }
        }
    }

    private static List<float[]> snapshot(Vlm3dRun run) {
        List<float[]> out = new ArrayList<>();
        for (Parameter p : run.parameters()) {
            out.add(p.array().toFloatArray());
        }
        return out;
    }
}
