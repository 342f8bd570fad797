package dev.vlm3d.bench;

import dev.vlm3d.models.qwen25vl.Fp16WeightsError;
import dev.vlm3d.models.qwen25vl.QwenVlFixtures;

/**
 * Prints the error of the fp16-weights option against the fp32 golden values of every Qwen2.5-VL fixture set.
 * Run: {@code ./mvnw -q test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.vlm3d.bench.QwenVlFp16ErrorReport}
 */
public final class QwenVlFp16ErrorReport {

    private QwenVlFp16ErrorReport() {
    }

    public static void main(String[] args) {
        for (QwenVlFixtures.FixtureSet set : QwenVlFixtures.sets()) {
            System.out.println("fixture set " + set.name());
            System.out.printf("%-16s %14s %14s %18s %12s%n", "case", "max|Δlogit|", "|Δreward|",
                    "max|Δg|/max|g|", "cos(g)");
            for (Fp16WeightsError.CaseError e : Fp16WeightsError.measure(set)) {
                System.out.printf("%-16s %14.3e %14.3e %18.3e %12.8f%n", e.caseName(), e.logitsMaxAbs(),
                        e.rewardAbs(), e.gradMaxAbsOverMax(), e.gradCosine());
            }
        }
    }
}
