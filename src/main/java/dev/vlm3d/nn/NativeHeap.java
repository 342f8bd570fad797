package dev.vlm3d.nn;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the process's native heap from growing step after step under glibc's allocator.
 *
 * <p>Why: libtorch on the CPU allocates every tensor with {@code posix_memalign}. glibc serves a block above its mmap
 * threshold with its own mapping, returned to the kernel at {@code free}; but the threshold is dynamic, and it rises
 * to the size of every mmapped block that is freed (up to 32 MB). After the first training step, the step's tensors
 * (a few MB to tens of MB each) are therefore carved out of the malloc arenas. An arena returns memory to the kernel
 * only at its top, so the holes that each step's differently sized tensors leave stay resident: a 100-step
 * {@code fast} run's per-step peak rose from 1.8 GB to 3.4 GB with the same number of samples (docs/benchmarks.md,
 * "Engine: bounded step memory").
 *
 * <p>What: after a training step and after each render chunk, once the resident set has grown by more than a margin
 * since the first check after the last release, {@link #releaseFreeMemoryAbove(long)} hands the free pages inside
 * the arenas back to the kernel ({@code malloc_trim(0)}). Between releases, freed blocks are still reused without a
 * page fault; measuring the reference after the block that follows a release keeps that block's working set out of
 * the growth, so a chunk larger than the margin does not trigger a release (and its page faults) every time. The alternatives cost speed on the CPU, measured on the {@code fast}
 * preset side by side with glibc's defaults (docs/benchmarks.md): a fixed low mmap threshold or jemalloc's default
 * decay ran at about half the speed, a release after every step at 1/1.3 of it. {@link #configure()} also caps the
 * arenas at two, so libtorch's intra-op threads do not each keep an arena of their own. On another C library (musl,
 * or jemalloc preloaded) nothing is changed.
 */
public final class NativeHeap {

    private static final Logger log = LoggerFactory.getLogger(NativeHeap.class);

    /** glibc's {@code mallopt} parameter number ({@code <malloc.h>}). */
    private static final int M_ARENA_MAX = -8;

    /** Arenas for the allocating threads (the main one plus one more; libtorch's intra-op threads share them). */
    static final int ARENA_MAX = 2;

    /** What {@link #configure()} did. */
    public enum Outcome {
        /** glibc's allocator: arenas capped, free pages released after each step */
        TUNED,
        /** the process's C library is not glibc (or cannot be reached): left as it is */
        NOT_GLIBC,
        /** glibc refused the arena cap: left as it was (free pages are still released) */
        REFUSED
    }

    /**
     * Growth of the resident set, beyond what the engine's blocks reuse, after which the allocator's free pages go back
     * to the kernel: checked at a step's end and after each render chunk. At the {@code fast} shape the arenas grew
     * ~16 MB per step; at the paper's 4 × 256² views, the masks pass 1 keeps between its 64 chunks pinned ~1.9 GB of
     * holes in a step (docs/benchmarks.md, "Engine: bounded step memory").
     */
    public static final long RELEASE_MARGIN_BYTES = 128L << 20;

    private static final Path STATM = Path.of("/proc/self/statm");
    /** x86-64 and aarch64 Linux as built by distributions; statm counts in these pages */
    private static final long PAGE_BYTES = 4096;

    private static Outcome outcome;
    private static GlibC glibc;
    /**
     * the resident set at the first check after the last release, or −1 until that check: measured there, not right
     * after the release, it includes the working set that the next block faults back in and reuses, so only growth
     * beyond it (holes that nothing reuses) triggers the next release
     */
    private static long baseline = -1;

    private NativeHeap() {}

    interface GlibC extends Library {
        String gnu_get_libc_version();

        int mallopt(int param, int value);

        int malloc_trim(long pad);
    }

    /**
     * Caps the arenas once per process; later calls return the first outcome. Call it before libtorch is loaded where
     * possible (the application's {@code main} does), so that no arena exists beyond the cap.
     */
    public static synchronized Outcome configure() {
        if (outcome == null) {
            outcome = apply();
        }
        return outcome;
    }

    /**
     * Returns the free pages of every arena to the kernel if the resident set has grown by more than
     * {@code marginBytes} since the reference point: the first call, or the first call after the last release. One read of /proc/self/statm when nothing
     * is released; a no-op where the C library is not glibc.
     *
     * @return whether a release ran
     */
    public static boolean releaseFreeMemoryAbove(long marginBytes) {
        synchronized (NativeHeap.class) {
            configure();
            if (glibc == null) {
                return false;
            }
            long resident = residentBytes();
            if (resident < 0) {
                return false;
            }
            if (baseline < 0) {
                baseline = resident;
                return false;
            }
            if (resident - baseline <= marginBytes) {
                return false;
            }
            glibc.malloc_trim(0);
            baseline = -1;
            long residentAfterRelease = residentBytes();
            // the resident set right after a release is what the process holds live: its trend is the leak figure
            log.debug("released free heap pages: resident {} MB -> {} MB", resident >> 20, residentAfterRelease >> 20);
            return true;
        }
    }

    /** Returns the free pages of every arena to the kernel now; a no-op where the C library is not glibc. */
    public static void releaseFreeMemory() {
        synchronized (NativeHeap.class) {
            configure();
            if (glibc != null) {
                glibc.malloc_trim(0);
                baseline = -1;
            }
        }
    }

    /** The process's resident set (the second field of /proc/self/statm, in pages), or −1 where there is none. */
    static long residentBytes() {
        try {
            String[] fields = Files.readString(STATM).trim().split("\\s+");
            return Long.parseLong(fields[1]) * PAGE_BYTES;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static Outcome apply() {
        String version;
        try {
            glibc = Native.load("c", GlibC.class);
            version = glibc.gnu_get_libc_version();
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            glibc = null;
            log.debug("native heap left as it is: not glibc ({})", e.toString());
            return Outcome.NOT_GLIBC;
        }
        // mallopt returns 1 on success and 0 on error
        if (glibc.mallopt(M_ARENA_MAX, ARENA_MAX) != 1) {
            log.warn("glibc {} refused the arena cap of {}", version, ARENA_MAX);
            return Outcome.REFUSED;
        }
        log.debug("glibc {} malloc: {} arenas, free pages released after each step", version, ARENA_MAX);
        return Outcome.TUNED;
    }
}
