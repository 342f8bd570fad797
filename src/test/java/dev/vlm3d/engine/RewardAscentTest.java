package dev.vlm3d.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A differentiable analytic reward (mean redness), optimized alone through the Reward interface, rises. */
class RewardAscentTest {

    private static final int STEPS = 60;

    @Test
    void rednessRewardRises() throws Exception {
        RunConfig config = TestConfigs.reconstruction(STEPS, 24)
                .withLoss(new LossConfig(1.0, Schedule.constant(0), Schedule.constant(1), STEPS));
        try (Vlm3dRun run = new Vlm3dRun(config, null, new RednessReward(), Device.cpu())) {
            run.run(RunHooks.none());
            List<StepReport> h = run.history();
            double first = h.subList(0, 5).stream()
                    .mapToDouble(StepReport::reward)
                    .average()
                    .orElseThrow();
            double last = h.subList(STEPS - 5, STEPS).stream()
                    .mapToDouble(StepReport::reward)
                    .average()
                    .orElseThrow();
            assertTrue(h.stream().allMatch(r -> r.lambdaVlm() == 1.0), "λ_vlm is the configured constant");
            assertTrue(last > first + 0.3, "reward rose from " + first + " to " + last);
        }
    }
}
