package dev.vlm3d.engine;

import ai.djl.Device;
import dev.vlm3d.nn.NativeHeap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child-JVM side of {@link MemoryTest}: runs the loop and prints "MEM step rssKb arrays" lines. Started with a fixed,
 * pre-touched heap, so that RSS changes are native memory rather than the JVM touching fresh heap pages.
 */
final class MemoryProbeMain {

    private MemoryProbeMain() {}

    public static void main(String[] args) throws InterruptedException {
        NativeHeap.configure();
        int steps = Integer.parseInt(args[0]);
        int every = Integer.parseInt(args[1]);
        RunConfig config = TestConfigs.small(steps, 8, 16);
        try (Vlm3dRun run = new Vlm3dRun(config, new SphereTargetGuidance(TestConfigs.FOVY), null, Device.cpu())) {
            run.run(RunHooks.listening(r -> {
                if (r.step() % every == 0 || r.step() == steps - 1) {
                    System.out.println("MEM " + r.step() + " " + residentKb() + " " + run.managedArrays());
                }
            }));
        }
    }

    static long residentKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
