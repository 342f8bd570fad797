package dev.vlm3d.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.vlm3d.engine.field.Parameter;
import dev.vlm3d.engine.field.ParameterGroup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On a random-solid-background step the background network still takes an AdamW step, as in the released code
 * (network colour·0 + random colour): its gradient is zero, not absent, so momentum and weight decay move its
 * weights and its step count keeps pace with the other groups (docs/paper-vs-code.md).
 */
class SolidBackgroundStepTest {

    @Test
    void backgroundNetworkStepsOnSolidBackgroundSteps() throws Exception {
        int steps = 12;
        RunConfig config =
                RunConfig.tiny(steps).withLoss(new LossConfig(1.0, Schedule.constant(0), Schedule.constant(0), 0));
        int solidAfterNetwork = 0;
        try (Vlm3dRun run = new Vlm3dRun(config, new SphereTargetGuidance(TestConfigs.FOVY), null, Device.cpu())) {
            boolean networkSeen = false;
            for (int s = 0; s < steps; s++) {
                boolean solid = run.plan(s).options().solidBackground() != null;
                List<float[]> before = background(run);
                run.runUntil(s + 1, RunHooks.none());
                List<float[]> after = background(run);
                if (solid && networkSeen) {
                    solidAfterNetwork++;
                    for (int i = 0; i < before.size(); i++) {
                        assertFalse(
                                Arrays.equals(before.get(i), after.get(i)),
                                "background layer " + i + " did not move on solid step " + s);
                    }
                }
                networkSeen |= !solid;
            }
            for (ParameterGroup g : ParameterGroup.values()) {
                assertEquals(steps, run.optimizer().stepCount(g), "AdamW steps of " + g);
            }
        }
        assertTrue(solidAfterNetwork > 0, "the seed gave no solid-background step after a network step");
    }

    private static List<float[]> background(Vlm3dRun run) {
        List<float[]> out = new ArrayList<>();
        for (Parameter p : run.parameters()) {
            if (p.group() == ParameterGroup.BACKGROUND) {
                out.add(p.array().toFloatArray());
            }
        }
        return out;
    }
}
