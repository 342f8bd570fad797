package dev.vlm3d.bench;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Peak memory of a benchmark phase, from the best source the machine has:
 * <ul>
 *   <li>GPU with the allocator helper (tools/gpu/jni/vlm3d_cuda_memory.cc, path in {@code -Dvlm3d.cudaMemoryLib}):
 *       the CUDA caching allocator's peak allocated and peak reserved bytes, reset per phase;</li>
 *   <li>GPU without it: device memory in use from {@code cudaMemGetInfo} (DJL's CudaUtils, via JNA), sampled by
 *       {@link #sample} after each step: includes the allocator's cache and other processes, and misses peaks
 *       inside a step;</li>
 *   <li>CPU: the process's peak resident set (VmHWM), reset per phase through /proc/self/clear_refs.</li>
 * </ul>
 */
final class DeviceMemory {

    private static final boolean HELPER = loadHelper();

    private final Device device;
    private long sampledPeak;

    DeviceMemory(Device device) {
        this.device = device;
    }

    /** Which figure {@link #peakBytes} reports. */
    String source() {
        if (device.isGpu()) {
            return HELPER ? "cuda-caching-allocator" : "cudaMemGetInfo-sampled";
        }
        return "process-peak-rss";
    }

    /** Starts a new phase. */
    void reset() {
        sampledPeak = 0;
        if (device.isGpu()) {
            if (HELPER) {
                cudaResetPeak(device.getDeviceId());
            }
        } else {
            try {
                Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            } catch (IOException | UnsupportedOperationException e) {
                // not Linux or not allowed: VmHWM then stays the process's lifetime peak
            }
        }
        sample();
    }

    /** Records the current figure (needed for the sampled sources; cheap). */
    void sample() {
        if (device.isGpu() && !HELPER) {
            MemoryUsage usage = gpuMemory();
            if (usage != null) {
                sampledPeak = Math.max(sampledPeak, usage.getUsed());
            }
        }
    }

    /** cudaMemGetInfo through DJL's CudaUtils, or null where JNA finds no libcudart (then no figure, not a crash). */
    private MemoryUsage gpuMemory() {
        try {
            return CudaUtils.getGpuMemory(device);
        } catch (IllegalStateException | IllegalArgumentException | UnsatisfiedLinkError e) {
            return null;
        }
    }

    /** Peak bytes since {@link #reset}, in the sense of {@link #source}. */
    long peakBytes() {
        if (device.isGpu()) {
            return HELPER ? cudaAllocatorStats(device.getDeviceId())[1] : sampledPeak;
        }
        return procStatusBytes("VmHWM:");
    }

    /** Every figure the source has, for the JSON report. */
    Map<String, Long> figures() {
        Map<String, Long> out = new LinkedHashMap<>();
        if (device.isGpu() && HELPER) {
            long[] s = cudaAllocatorStats(device.getDeviceId());
            out.put("allocated_bytes", s[0]);
            out.put("peak_allocated_bytes", s[1]);
            out.put("reserved_bytes", s[2]);
            out.put("peak_reserved_bytes", s[3]);
        } else if (device.isGpu()) {
            MemoryUsage usage = gpuMemory();
            if (usage != null) {
                out.put("used_bytes", usage.getUsed());
                out.put("total_bytes", usage.getMax());
            }
            out.put("peak_used_bytes_sampled", sampledPeak);
        } else {
            out.put("peak_rss_bytes", procStatusBytes("VmHWM:"));
            out.put("rss_bytes", procStatusBytes("VmRSS:"));
        }
        return out;
    }

    /** Free bytes on the device (cudaMemGetInfo; unknown: Long.MAX_VALUE), or MemAvailable on the CPU. */
    long freeBytes() {
        if (device.isGpu()) {
            MemoryUsage usage = gpuMemory();
            return usage == null ? Long.MAX_VALUE : usage.getMax() - usage.getUsed();
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return Runtime.getRuntime().maxMemory();
    }

    private static long procStatusBytes(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return -1;
    }

    private static boolean loadHelper() {
        String path = System.getProperty("vlm3d.cudaMemoryLib");
        if (path == null || path.isBlank() || !Files.isRegularFile(Path.of(path))) {
            return false;
        }
        try {
            System.load(Path.of(path).toAbsolutePath().toString());
            return true;
        } catch (UnsatisfiedLinkError e) {
            System.err.println("cannot load " + path + " (" + e.getMessage() + "); using cudaMemGetInfo");
            return false;
        }
    }

    /** [allocated, peak allocated, reserved, peak reserved] bytes. */
    private static native long[] cudaAllocatorStats(int device);

    private static native void cudaResetPeak(int device);
}
