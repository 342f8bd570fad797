package dev.vlm3d.engine;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The memory figure of one step.
 *
 * <p>On the CPU it is the process's peak resident set during the step: the kernel's high-water mark (VmHWM) is reset
 * before the step by writing 5 to /proc/self/clear_refs and read after it. On a GPU it is the device memory in use
 * after the step (cudaMemGetInfo; the caching allocator's own peak is not exposed by DJL's JNI), which includes the
 * allocator's cached blocks and so bounds the step's peak from above only while nothing is freed to the driver.
 *
 * @param bytes  the figure, or −1 where the platform offers none
 * @param source what it measures
 */
public record StepMemory(long bytes, Source source) {

    public enum Source {
        /** peak resident set of the process during the step (Linux VmHWM, reset per step) */
        PEAK_RSS,
        /** resident set after the step (Linux without a resettable peak) */
        RSS,
        /** device memory in use after the step */
        DEVICE_USED,
        /** nothing measurable */
        NONE
    }

    public static final StepMemory UNKNOWN = new StepMemory(-1, Source.NONE);

    public double megabytes() {
        return bytes < 0 ? Double.NaN : bytes / (1024.0 * 1024.0);
    }

    /** Measures steps on one device; not thread-safe (one per run). */
    static final class Probe {
        private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");
        private static final Path STATUS = Path.of("/proc/self/status");
        private final Device device;
        private boolean peakResettable = Files.isWritable(CLEAR_REFS);

        Probe(Device device) {
            this.device = device;
        }

        void startStep() {
            if (device.isGpu() || !peakResettable) {
                return;
            }
            try {
                Files.writeString(CLEAR_REFS, "5");
            } catch (IOException | RuntimeException e) {
                peakResettable = false;
            }
        }

        StepMemory endStep() {
            if (device.isGpu()) {
                MemoryUsage usage = CudaUtils.getGpuMemory(device);
                return new StepMemory(usage.getUsed(), Source.DEVICE_USED);
            }
            long peak = statusKb("VmHWM:");
            if (peakResettable && peak > 0) {
                return new StepMemory(peak * 1024, Source.PEAK_RSS);
            }
            long rss = statusKb("VmRSS:");
            return rss > 0 ? new StepMemory(rss * 1024, Source.RSS) : UNKNOWN;
        }

        private static long statusKb(String key) {
            try {
                for (String line : Files.readAllLines(STATUS)) {
                    if (line.startsWith(key)) {
                        return Long.parseLong(
                                line.substring(key.length()).trim().split("\\s+")[0]);
                    }
                }
            } catch (IOException | RuntimeException e) {
                return -1;
            }
            return -1;
        }
    }
}
