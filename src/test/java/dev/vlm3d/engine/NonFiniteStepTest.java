package dev.vlm3d.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.vlm3d.engine.field.Parameter;
import dev.vlm3d.engine.guidance.Guidance;
import dev.vlm3d.engine.guidance.GuidanceInput;
import dev.vlm3d.engine.guidance.GuidanceResult;
import dev.vlm3d.nn.Scalars;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

/**
 * A step whose gradient is not finite is skipped: no parameter, moment or optimizer counter moves, the report says
 * so and counts it, and after {@link Vlm3dRun#NON_FINITE_LIMIT} consecutive skips the run stops with
 * {@link NonFiniteStepException}. The guidance double poisons the gradient (not the loss value) on chosen steps, the
 * case a loss-only check would miss.
 */
class NonFiniteStepTest {

    private static RunConfig config(int steps) {
        return RunConfig.tiny(steps).withLoss(new LossConfig(1.0, Schedule.constant(0), Schedule.constant(0), 0));
    }

    @Test
    void nonFiniteGradientSkipsTheUpdateAndIsCounted() throws Exception {
        Set<Integer> poisoned = Set.of(2, 3, 5);
        List<StepReport> reports = new ArrayList<>();
        try (Vlm3dRun run = new Vlm3dRun(config(7), new PoisonedGuidance(poisoned::contains), null, Device.cpu())) {
            run.runUntil(2, RunHooks.listening(reports::add));
            List<float[]> before = snapshot(run);
            int encodingSteps = run.optimizer().stepCount(dev.vlm3d.engine.field.ParameterGroup.ENCODING);
            run.runUntil(4, RunHooks.listening(reports::add));
            List<float[]> after = snapshot(run);
            for (int i = 0; i < before.size(); i++) {
                assertArrayEquals(before.get(i), after.get(i), 0f, "parameter " + i + " moved on a skipped step");
            }
            assertEquals(encodingSteps, run.optimizer().stepCount(dev.vlm3d.engine.field.ParameterGroup.ENCODING));
            run.run(RunHooks.listening(reports::add));
            assertFalse(snapshot(run).get(0).equals(after.get(0)));
        }
        for (StepReport r : reports) {
            assertEquals(poisoned.contains(r.step()), r.skipped(), "skipped flag at step " + r.step());
            assertEquals(
                    poisoned.contains(r.step()),
                    !Double.isFinite(r.stats().get("grad_norm")),
                    "grad_norm at step " + r.step());
        }
        assertEquals(
                List.of(0, 0, 1, 2, 2, 3, 3),
                reports.stream().map(StepReport::skippedSteps).toList());
    }

    @Test
    void aRunOfNonFiniteStepsStopsTheRun() {
        int from = 3;
        List<StepReport> reports = new ArrayList<>();
        try (Vlm3dRun run = new Vlm3dRun(config(40), new PoisonedGuidance(s -> s >= from), null, Device.cpu())) {
            NonFiniteStepException e =
                    assertThrows(NonFiniteStepException.class, () -> run.run(RunHooks.listening(reports::add)));
            assertEquals(from + Vlm3dRun.NON_FINITE_LIMIT - 1, e.step());
            assertEquals(from + Vlm3dRun.NON_FINITE_LIMIT, run.currentStep());
            assertTrue(reports.get(reports.size() - 1).skipped());
        }
    }

    private static List<float[]> snapshot(Vlm3dRun run) {
        List<float[]> out = new ArrayList<>();
        for (Parameter p : run.parameters()) {
            out.add(p.array().toFloatArray());
        }
        return out;
    }

    /** mean((rgb − ½)²), whose gradient is multiplied by NaN on the chosen steps while the value stays finite. */
    private static final class PoisonedGuidance implements Guidance {
        private final IntPredicate poisoned;

        PoisonedGuidance(IntPredicate poisoned) {
            this.poisoned = poisoned;
        }

        @Override
        public GuidanceResult compute(GuidanceInput input) {
            NDArray rgb = input.rgb();
            NDArray diff = rgb.sub(Scalars.like(rgb, 0.5));
            NDArray loss = diff.mul(diff).mean();
            if (poisoned.test(input.globalStep())) {
                // value + NaN·(x − stopgrad(x)) keeps the value finite but makes the gradient NaN
                NDArray zero = loss.sub(loss.stopGradient());
                loss = loss.add(zero.mul(Scalars.like(zero, Double.NaN)));
            }
            return new GuidanceResult(
                    loss, loss.stopGradient().toType(DataType.FLOAT64, false).getDouble(), Map.of());
        }

        @Override
        public void close() {}
    }
}
