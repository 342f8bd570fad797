package dev.vlm3d.bench;

import dev.vlm3d.models.qwen25vl.PrecisionError;
import dev.vlm3d.models.qwen25vl.QwenVlFixtures;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;

/**
 * Prints the error of the FP32 and FP16_WEIGHTS modes against the fp32 HF golden values (differentiable path: logits,
 * reward, d reward / d images) of every Qwen2.5-VL fixture set.
 * Run: {@code ./mvnw -q test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.vlm3d.bench.QwenVlPrecisionReport -Dai.djl.offline=true}
 */
public final class QwenVlPrecisionReport {

    private QwenVlPrecisionReport() {}

    public static void main(String[] args) {
        for (QwenVlFixtures.FixtureSet set : QwenVlFixtures.sets()) {
            for (QwenVlPrecision precision :
                    new QwenVlPrecision[] {QwenVlPrecision.FP32, QwenVlPrecision.FP16_WEIGHTS}) {
                System.out.println("fixture set " + set.name() + ", " + precision + " vs HF fp32");
                System.out.printf(
                        "%-16s %14s %14s %18s %12s%n", "case", "max|dlogit|", "|dreward|", "max|dg|/max|g|", "cos(g)");
                for (PrecisionError.CaseError e : PrecisionError.measure(set, precision)) {
                    System.out.printf(
                            "%-16s %14.3e %14.3e %18.3e %12.8f%n",
                            e.caseName(), e.logitsMaxAbs(), e.rewardAbs(), e.gradMaxAbsOverMax(), e.gradCosine());
                }
            }
        }
    }
}
