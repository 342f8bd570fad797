package dev.vlm3d.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm3d.engine.RunConfig;
import dev.vlm3d.engine.guidance.SdsOptions;
import dev.vlm3d.options.Backbone;
import dev.vlm3d.options.GenerationOptions;
import dev.vlm3d.options.InvalidOptionException;
import dev.vlm3d.options.Preset;
import dev.vlm3d.options.VlmQuestion;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The presets against the paper and the released config (docs/paper-vs-code.md) and the per-job overrides. */
class PresetsTest {

    @Test
    void paperIsTheOfficialRun() {
        GenerationOptions paper = GenerationOptions.resolve("paper", null, Map.of());
        assertThat(paper.steps()).isEqualTo(10_000);
        assertThat(paper.question()).isEqualTo(VlmQuestion.SELECTED);
        assertThat(paper.singleView()).isFalse();
        assertThat(paper.reward()).isTrue();
        assertThat(paper.backbone()).isEqualTo(Backbone.MVDREAM);
        RunConfig config = Presets.runConfig(paper, 0);
        // λ_qwen(s) = 300 − 299·min(s,10000)/10000, so 150.5 at step 5000
        assertThat(config.loss().lambdaVlm().at(0)).isEqualTo(300.0);
        assertThat(config.loss().lambdaVlm().at(5000)).isEqualTo(150.5);
        assertThat(config.loss().lambdaVlm().at(10_000)).isEqualTo(1.0);
        assertThat(config.loss().lambdaOrient().at(2500)).isEqualTo(505.0);
        assertThat(config.loss().vlmUntilStep()).isEqualTo(10_000);
        assertThat(config.camera().resolutionAt(4999)).isEqualTo(64);
        assertThat(config.camera().resolutionAt(5000)).isEqualTo(256);
        assertThat(config.camera().batchSizeAt(0)).isEqualTo(8);
        assertThat(config.camera().batchSizeAt(5000)).isEqualTo(4);
        assertThat(config.render().samplesPerRay()).isEqualTo(512);
        assertThat(config.maxSteps()).isEqualTo(10_000);
    }

    @Test
    void paperReleasedIsTheReleasedConfigWithTheRewardBelowStep10000() {
        GenerationOptions released = GenerationOptions.resolve("paper-released", null, Map.of());
        assertThat(Preset.NAMES).contains("paper-released");
        assertThat(released.steps()).isEqualTo(20_000);
        assertThat(released.lambdaVlmAnnealSteps()).isEqualTo(10_000);
        RunConfig config = Presets.runConfig(released, 0);
        assertThat(config.maxSteps()).isEqualTo(20_000);
        assertThat(config.loss().vlmUntilStep()).isEqualTo(10_000);
        assertThat(config.loss().lambdaVlm().at(9_999)).isGreaterThan(1.0);
        assertThat(config.loss().lambdaVlm().at(15_000)).isEqualTo(1.0);
        assertThat(Presets.timestepHorizonScale(released)).isEqualTo(1.0);
        // the rest of the run is the paper's
        RunConfig paper = Presets.runConfig(GenerationOptions.resolve("paper", null, Map.of()), 0);
        assertThat(config.camera()).isEqualTo(paper.camera());
        assertThat(config.render()).isEqualTo(paper.render());
        assertThat(config.optimizer()).isEqualTo(paper.optimizer());
        assertThat(config.loss().lambdaOrient()).isEqualTo(paper.loss().lambdaOrient());
        // paper keeps the reward on for its whole (shorter) run
        assertThat(paper.loss().vlmUntilStep()).isEqualTo(paper.maxSteps());
        // a shorter paper-released run keeps the shape: the reward for the first half
        RunConfig half = Presets.runConfig(GenerationOptions.resolve("paper-released", 4_000, Map.of()), 0);
        assertThat(half.loss().vlmUntilStep()).isEqualTo(2_000);
        assertThat(half.loss().lambdaVlm().at(2_000)).isEqualTo(1.0);
    }

    @Test
    void sdsTimestepAnnealingKeepsThePaperHorizonAndStretchesToShorterRuns() {
        SdsOptions sds = SdsOptions.mvdream();
        GenerationOptions paper = GenerationOptions.resolve("paper", null, Map.of());
        GenerationOptions fast = GenerationOptions.resolve("fast", null, null);
        double paperScale = Presets.timestepHorizonScale(paper);
        double fastScale = Presets.timestepHorizonScale(fast);
        // at step 4000 of the paper run t ∈ [500, 740]; from step 8000 on [20, 500] (the released ramps)
        assertThat(range(sds, 4000, paperScale)).containsExactly(500, 740);
        assertThat(range(sds, 8000, paperScale)).containsExactly(20, 500);
        // fast (2,500 steps): the same shape at the same fraction of the run
        assertThat(range(sds, 1000, fastScale)).containsExactly(500, 740);
        assertThat(range(sds, 2000, fastScale)).containsExactly(20, 500);
        assertThat(range(sds, 0, fastScale)).containsExactly(980, 980);
        // paper keeps the absolute horizon when a job asks for the released config's 20,000 steps
        GenerationOptions paper20k = GenerationOptions.resolve("paper", 20_000, Map.of());
        assertThat(Presets.timestepHorizonScale(paper20k)).isEqualTo(1.0);
    }

    private static int[] range(SdsOptions sds, int step, double scale) {
        return new int[] {
            sds.minStepPercent().stretched(scale).truncatedAt(step, 1000),
            sds.maxStepPercent().stretched(scale).truncatedAt(step, 1000)
        };
    }

    @Test
    void fastAndPreviewAreCheaperSchedulesOfTheSameMethod() {
        RunConfig fast = Presets.runConfig(GenerationOptions.resolve("fast", null, null), 1);
        assertThat(fast.maxSteps()).isEqualTo(2500);
        assertThat(fast.camera().batchSizeAt(0)).isEqualTo(4);
        assertThat(fast.loss().lambdaVlm().at(2500)).isEqualTo(1.0);
        RunConfig preview = Presets.runConfig(GenerationOptions.resolve(null, null, null), 1);
        assertThat(preview.maxSteps()).isEqualTo(Preset.DEFAULT.defaults().steps());
        assertThat(preview.camera().resolutionAt(0)).isLessThanOrEqualTo(64);
        assertThat(preview.checkpointEvery()).isPositive();
    }

    @Test
    void overridesAreAppliedAndStepsScaleTheAnnealWhenItIsNotGiven() {
        GenerationOptions o = GenerationOptions.resolve(
                "paper",
                2000,
                Map.of(
                        "lambda_vlm_start",
                        100,
                        "lambda_vlm_end",
                        2.5,
                        "vlm_question",
                        "B",
                        "vlm_views",
                        "one",
                        "reward",
                        false,
                        "backbone",
                        "sd21"));
        assertThat(o.steps()).isEqualTo(2000);
        assertThat(o.lambdaVlmAnnealSteps()).isEqualTo(2000);
        assertThat(o.question()).isEqualTo(VlmQuestion.B);
        assertThat(o.singleView()).isTrue();
        assertThat(o.reward()).isFalse();
        assertThat(o.backbone()).isEqualTo(Backbone.SD21);
        assertThat(Presets.runConfig(o, 0).loss().lambdaVlm().at(1000)).isEqualTo(100 + (2.5 - 100) / 2);
        assertThat(GenerationOptions.resolve("paper", 2000, Map.of("lambda_vlm_anneal_steps", 500))
                        .lambdaVlmAnnealSteps())
                .isEqualTo(500);
        // stored form round-trips
        assertThat(GenerationOptions.fromStored("paper", 2000, o.toMap())).isEqualTo(o);
    }

    @Test
    void invalidOverridesNameTheField() {
        assertThatThrownBy(() -> GenerationOptions.resolve("paper", null, Map.of("guidance_scale", 7)))
                .isInstanceOf(InvalidOptionException.class)
                .hasMessageContaining("unknown option");
        assertThatThrownBy(() -> GenerationOptions.resolve("paper", null, Map.of("lambda_vlm_start", -1)))
                .isInstanceOfSatisfying(
                        InvalidOptionException.class, e -> assertThat(e.field()).isEqualTo("options.lambda_vlm_start"));
        assertThatThrownBy(() -> GenerationOptions.resolve("paper", null, Map.of("reward", "yes")))
                .isInstanceOf(InvalidOptionException.class);
        assertThatThrownBy(() -> GenerationOptions.resolve("paper", 0, Map.of()))
                .isInstanceOfSatisfying(
                        InvalidOptionException.class, e -> assertThat(e.field()).isEqualTo("steps"));
        assertThatThrownBy(() -> GenerationOptions.resolve("ultra", null, Map.of()))
                .isInstanceOfSatisfying(
                        InvalidOptionException.class, e -> assertThat(e.field()).isEqualTo("preset"));
    }
}
