package dev.vlm3d.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.vlm3d.evaluation.EloFit.Outcome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Bradley–Terry fit of docs/evaluation.md against closed forms, synthetic data and the reference's Adam. */
class EloFitTest {

    private static List<Outcome> games(String a, String b, int aWins, int bWins, int draws) {
        List<Outcome> out = new ArrayList<>();
        for (int i = 0; i < aWins; i++) {
            out.add(new Outcome(a, b, -1));
        }
        for (int i = 0; i < bWins; i++) {
            // the winner on the right side of the composite: m2 won
            out.add(new Outcome(b, a, -1));
        }
        for (int i = 0; i < draws; i++) {
            out.add(new Outcome(a, b, 0));
        }
        return out;
    }

    @Test
    void twoMethodsHaveTheClosedFormOptimumWithDrawsDilatingBothSides() {
        // σ_a − σ_b = 400·log10(wins_a / wins_b), a draw counting as a win for both
        EloFit.Result r = EloFit.tournament(List.of("a", "b"), games("a", "b", 7, 2, 1), "b");
        assertThat(r.solver()).isEqualTo(EloFit.Solver.NEWTON);
        assertThat(r.rating("b")).isEqualTo(1000.0);
        assertThat(r.rating("a")).isCloseTo(1000 + 400 * Math.log10(8.0 / 3.0), within(1e-9));
        double[][] a = EloFit.winMatrix(List.of("a", "b"), games("a", "b", 7, 2, 1));
        assertThat(a[0][1]).isEqualTo(8);
        assertThat(a[1][0]).isEqualTo(3);
    }

    @Test
    void threeMethodsWithConsistentOddsRecoverTheHandComputedRatings() {
        // counts in exact Bradley–Terry proportions: b beats a 2:1, c beats b 3:1, c beats a 6:1, so the score
        // equations hold at σ_b − σ_a = 400·log10 2 and σ_c − σ_a = 400·log10 6
        List<Outcome> o = new ArrayList<>();
        o.addAll(games("b", "a", 20, 10, 0));
        o.addAll(games("c", "b", 30, 10, 0));
        o.addAll(games("c", "a", 60, 10, 0));
        EloFit.Result r = EloFit.tournament(List.of("a", "b", "c"), o, "a");
        assertThat(r.rating("a")).isEqualTo(1000.0);
        assertThat(r.rating("b")).isCloseTo(1000 + 400 * Math.log10(2), within(1e-9));
        assertThat(r.rating("c")).isCloseTo(1000 + 400 * Math.log10(6), within(1e-9));
        assertThat(r.gradNorm()).isLessThan(1e-6);
    }

    @Test
    void aSyntheticTournamentFromKnownRatingsIsRecoveredWithinSamplingError() {
        List<String> methods = List.of("anchor", "m1", "m2", "m3", "m4", "m5");
        double[] truth = {1000, 1270, 1148, 726, 1365, 950};
        SplittableRandom rng = new SplittableRandom(7);
        List<Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < methods.size(); i++) {
            for (int j = i + 1; j < methods.size(); j++) {
                double pi = 1 / (1 + Math.pow(10, (truth[j] - truth[i]) / 400));
                for (int g = 0; g < 2000; g++) {
                    outcomes.add(new Outcome(methods.get(i), methods.get(j), rng.nextDouble() < pi ? -1 : 1));
                }
            }
        }
        EloFit.Result r = EloFit.tournament(methods, outcomes, "anchor");
        // 2000 games per pair: the standard error of a rating is about 4 Elo; 20 is five of them
        for (int i = 0; i < methods.size(); i++) {
            assertThat(r.ratings()[i]).as(methods.get(i)).isCloseTo(truth[i], within(20.0));
        }
        assertThat(r.rating("anchor")).isEqualTo(1000.0);
    }

    @Test
    void newtonReachesTheOptimumOfTheReferences10000AdamSteps() {
        // the published alignment table as the truth for 13 methods, 30 games per pair, dreamfusion anchored
        Map<String, Double> table = Gpteval3d.load().publishedScores(0);
        List<String> methods = new ArrayList<>(table.keySet());
        SplittableRandom rng = new SplittableRandom(11);
        List<Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < methods.size(); i++) {
            for (int j = i + 1; j < methods.size(); j++) {
                double d = table.get(methods.get(j)) - table.get(methods.get(i));
                double pi = 1 / (1 + Math.pow(10, d / 400));
                for (int g = 0; g < 30; g++) {
                    double u = rng.nextDouble();
                    outcomes.add(
                            new Outcome(methods.get(i), methods.get(j), u < 0.1 ? 0 : u < 0.1 + 0.9 * pi ? -1 : 1));
                }
            }
        }
        double[][] a = EloFit.winMatrix(methods, outcomes);
        double[] init = new double[methods.size()];
        Arrays.fill(init, 1000);
        boolean[] frozen = new boolean[methods.size()];
        frozen[methods.indexOf("dreamfusion")] = true;
        EloFit.Result newton = EloFit.fit(methods, a, init, frozen);
        EloFit.Result adam =
                EloFit.adam(methods, a, init, frozen, EloFit.REFERENCE_ADAM_STEPS, EloFit.REFERENCE_ADAM_LR);
        assertThat(newton.solver()).isEqualTo(EloFit.Solver.NEWTON);
        assertThat(newton.iterations()).isLessThan(50);
        for (int i = 0; i < methods.size(); i++) {
            assertThat(newton.ratings()[i]).as(methods.get(i)).isCloseTo(adam.ratings()[i], within(0.05));
        }
        assertThat(newton.loss()).isLessThanOrEqualTo(adam.loss() + 1e-9);
    }

    @Test
    void aNewMethodMovesAgainstTheFrozenPublishedTableOnly() {
        Map<String, Double> table = Gpteval3d.load().publishedScores(0);
        // even against mvdream: the optimum is mvdream's published rating, exactly; the table does not move
        EloFit.Result r = EloFit.againstTable(table, List.of("ours"), games("ours", "mvdream", 5, 5, 3));
        assertThat(r.rating("ours")).isCloseTo(table.get("mvdream"), within(1e-9));
        table.forEach((m, v) -> assertThat(r.rating(m)).isEqualTo(v));
        // 3:1 against prolificdreamer, 1:1 against mvdream: between the closed forms of either alone
        List<Outcome> o = new ArrayList<>(games("ours", "prolificdreamer", 3, 1, 0));
        o.addAll(games("ours", "mvdream", 1, 1, 0));
        double alone = table.get("prolificdreamer") + 400 * Math.log10(3);
        EloFit.Result both = EloFit.againstTable(table, List.of("ours"), o);
        assertThat(both.rating("ours")).isBetween(table.get("mvdream"), alone);
        assertThat(both.gradNorm()).isLessThan(1e-6);
    }

    @Test
    void anOptimumAtInfinityFallsBackToTheReferenceAdam() {
        Map<String, Double> table = new LinkedHashMap<>();
        table.put("dreamfusion", 1000.0);
        // never lost: the likelihood grows without bound, as the reference's Adam keeps climbing for 10,000 steps
        EloFit.Result r = EloFit.againstTable(table, List.of("ours"), games("ours", "dreamfusion", 4, 0, 0));
        assertThat(r.solver()).isEqualTo(EloFit.Solver.ADAM);
        assertThat(r.iterations()).isEqualTo(EloFit.REFERENCE_ADAM_STEPS);
        EloFit.Result reference = EloFit.adam(
                List.of("dreamfusion", "ours"),
                EloFit.winMatrix(List.of("dreamfusion", "ours"), games("ours", "dreamfusion", 4, 0, 0)),
                new double[] {1000, 1000},
                new boolean[] {true, false},
                10_000,
                0.1);
        assertThat(r.rating("ours")).isEqualTo(reference.rating("ours")).isGreaterThan(1500);
    }
}
