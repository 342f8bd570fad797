package dev.vlm3d.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * 520 steps of the full loop (guidance, orientation loss, the shading switch at half time, occupancy refreshes, random
 * backgrounds) in a child JVM with a fixed pre-touched heap: the run's manager holds a constant number of arrays and
 * RSS after warm-up stays flat. A leaked step (render graph, rays, target) would add several hundred kB per step.
 */
class MemoryTest {

    private static final int STEPS = 520;
    private static final int WARMUP = 100;
    private static final long MAX_GROWTH_KB = 24 * 1024;

    @Test
    void nativeMemoryStaysFlat() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "needs /proc (Linux)");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(
                java,
                "-Xms384m",
                "-Xmx384m",
                "-XX:+AlwaysPreTouch",
                "-Dai.djl.offline=true",
                "-DOPT_OUT_TRACKING=true",
                "-cp",
                System.getProperty("java.class.path"),
                MemoryProbeMain.class.getName(),
                Integer.toString(STEPS),
                "20");
        // the probe sets up the native heap as the application's main does (dev.vlm3d.nn.NativeHeap): with glibc's
        // defaults, freed step tensors stay in fragmenting arenas and RSS grows ~0.4 MB/step for hundreds of steps
        // (docs/engine.md, "Memory"), which would hide real leakage or fail this test without one
        Process p = builder.redirectErrorStream(true).start();
        List<long[]> samples = new ArrayList<>();
        StringBuilder log = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("MEM ")) {
                    String[] f = line.split(" ");
                    samples.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])});
                    System.out.println("memory: step " + f[1] + " rss " + f[2] + " kB, run arrays " + f[3]);
                } else {
                    log.append(line).append('\n');
                }
            }
        }
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "probe did not finish");
        assertEquals(0, p.exitValue(), "probe failed:\n" + log);
        long[] warm = samples.stream().filter(s -> s[0] == WARMUP).findFirst().orElseThrow();
        long[] last = samples.get(samples.size() - 1);
        assertEquals(STEPS - 1, last[0]);
        for (long[] s : samples) {
            assertEquals(warm[2], s[2], "arrays held by the run's manager at step " + s[0]);
        }
        long growth = last[1] - warm[1];
        assertTrue(growth < MAX_GROWTH_KB, "RSS grew by " + growth + " kB from step " + WARMUP + " to " + last[0]);
    }
}
