package dev.vlm3d.nn;

import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the process's native heap from growing step after step under glibc's allocator.
 *
 * <p>Why: libtorch on the CPU allocates every tensor with {@code posix_memalign}. glibc serves a block above its mmap
 * threshold with its own mapping, returned to the kernel at {@code free}; but the threshold is dynamic, and it rises
 * to the size of every mmapped block that is freed (up to 32 MB). After the first training step, the step's tensors
 * (a few MB to tens of MB each) are therefore carved out of the malloc arenas, one arena per allocating thread. An
 * arena only returns memory at its top, so the holes left by each step's differently sized tensors stay resident: a
 * 100-step {@code fast} run's per-step peak rose from 1.8 GB to 3.4 GB with the same number of samples
 * (docs/benchmarks.md, "Engine: bounded step memory").
 *
 * <p>What: a fixed mmap threshold (which also turns the dynamic adjustment off), a low trim threshold, and two arenas,
 * the same as the environment variables {@code MALLOC_MMAP_THRESHOLD_}, {@code MALLOC_TRIM_THRESHOLD_} and
 * {@code MALLOC_ARENA_MAX} would set, applied from inside the process so that the CLI, the service and the benchmarks
 * all run with them whatever launched the JVM. On other C libraries (musl, or jemalloc preloaded) nothing is changed.
 */
public final class NativeHeap {

    private static final Logger log = LoggerFactory.getLogger(NativeHeap.class);

    /** glibc's {@code mallopt} parameter numbers ({@code <malloc.h>}). */
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;
    private static final int M_ARENA_MAX = -8;

    /** Blocks of at least this size get their own mapping (glibc's initial dynamic value, now kept fixed). */
    static final int MMAP_THRESHOLD_BYTES = 128 * 1024;
    /** Free memory above this at an arena's top goes back to the kernel. */
    static final int TRIM_THRESHOLD_BYTES = 128 * 1024;
    /** Arenas for the allocating threads (the main one plus one more; libtorch's intra-op threads share them). */
    static final int ARENA_MAX = 2;

    /** What {@link #configure()} did. */
    public enum Outcome {
        /** glibc's allocator now runs with the fixed thresholds and arena limit */
        TUNED,
        /** the process's C library is not glibc (or cannot be reached): left as it is */
        NOT_GLIBC,
        /** glibc refused a setting: left as it was */
        REFUSED
    }

    private static Outcome outcome;

    private NativeHeap() {
    }

    interface GlibC extends Library {
        String gnu_get_libc_version();

        int mallopt(int param, int value);
    }

    /**
     * Applies the settings once per process; later calls return the first outcome. Call it before libtorch is loaded
     * where possible (the application's {@code main} does), so that no arena exists beyond the limit.
     */
    public static synchronized Outcome configure() {
        if (outcome == null) {
            outcome = apply();
        }
        return outcome;
    }

    private static Outcome apply() {
        GlibC libc;
        String version;
        try {
            libc = Native.load("c", GlibC.class);
            version = libc.gnu_get_libc_version();
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            log.debug("native heap left as it is: not glibc ({})", e.toString());
            return Outcome.NOT_GLIBC;
        }
        // mallopt returns 1 on success and 0 on error
        boolean ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
                && libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
                && libc.mallopt(M_ARENA_MAX, ARENA_MAX) == 1;
        if (!ok) {
            log.warn("glibc {} refused a malloc setting; the native heap may grow from step to step", version);
            return Outcome.REFUSED;
        }
        log.debug("glibc {} malloc: mmap threshold {} B (fixed), trim threshold {} B, {} arenas", version,
                MMAP_THRESHOLD_BYTES, TRIM_THRESHOLD_BYTES, ARENA_MAX);
        return Outcome.TUNED;
    }
}
