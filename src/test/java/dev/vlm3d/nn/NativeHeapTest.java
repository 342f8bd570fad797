package dev.vlm3d.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The glibc binding works: the arena cap is accepted, and after blocks the size of a step's tensors are freed inside
 * an arena (a live block of the same size above them), {@link NativeHeap#releaseFreeMemory()} brings the resident
 * set back to where it was before they were allocated. Whether glibc's {@code free} already returned some of them
 * depends on where the JVM's threads left the arena's heaps, so the end-to-end check that the per-step release keeps a
 * training run flat is {@code dev.vlm3d.engine.MemoryTest}, which fails with glibc's defaults (docs/engine.md).
 */
class NativeHeapTest {

    private static final int BLOCKS = 160;
    private static final long BLOCK_BYTES = 1L << 20;
    /** what the JVM's other threads may add meanwhile; well below the 160 MB at stake */
    private static final long SLACK_KB = 32 * 1024;

    interface C extends Library {
        Pointer malloc(long size);

        void free(Pointer p);
    }

    @Test
    void freeBlocksInsideAnArenaAreReturnedToTheKernel() throws IOException {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "needs /proc (Linux)");
        NativeHeap.Outcome outcome = NativeHeap.configure();
        assumeTrue(outcome != NativeHeap.Outcome.NOT_GLIBC, "the C library is not glibc");
        assertEquals(NativeHeap.Outcome.TUNED, outcome);

        C c = Native.load("c", C.class);
        long baseline = residentKb();
        // a freed 32 MB mapping raises glibc's dynamic mmap threshold, so the 1 MB blocks below come from an arena,
        // as a step's tensors do after the first step
        c.free(touched(c.malloc(32L << 20), 32L << 20));
        List<Pointer> blocks = new ArrayList<>();
        for (int i = 0; i < BLOCKS; i++) {
            blocks.add(touched(c.malloc(BLOCK_BYTES), BLOCK_BYTES));
        }
        Pointer pin = touched(c.malloc(BLOCK_BYTES), BLOCK_BYTES); // from the top, above the blocks
        try {
            blocks.forEach(c::free);
            NativeHeap.releaseFreeMemory();
            long left = residentKb() - baseline;
            assertTrue(left < SLACK_KB, left + " kB of the " + BLOCKS + " MB freed inside an arena are still resident");
        } finally {
            c.free(pin);
        }
    }

    @Test
    void aReleaseRunsOnlyOnceTheResidentSetHasGrownByTheMargin() {
        assumeTrue(NativeHeap.configure() == NativeHeap.Outcome.TUNED, "glibc only");
        NativeHeap.releaseFreeMemory();
        assertFalse(NativeHeap.releaseFreeMemoryAbove(16L << 20), "the first check after a release sets the reference");
        C c = Native.load("c", C.class);
        Pointer grown = touched(c.malloc(64L << 20), 64L << 20);
        try {
            assertTrue(NativeHeap.releaseFreeMemoryAbove(16L << 20), "64 MB more resident than at the reference");
            Pointer more = touched(c.malloc(64L << 20), 64L << 20);
            try {
                // the reference is taken here, with the first 64 MB (live) and the second (live) resident
                assertFalse(NativeHeap.releaseFreeMemoryAbove(16L << 20), "the release cleared the reference point");
                assertFalse(NativeHeap.releaseFreeMemoryAbove(16L << 20), "no growth since the new reference");
            } finally {
                c.free(more);
            }
        } finally {
            c.free(grown);
        }
    }

    @Test
    void configuringTwiceKeepsTheFirstOutcome() {
        assertEquals(NativeHeap.configure(), NativeHeap.configure());
    }

    private static Pointer touched(Pointer p, long bytes) {
        p.setMemory(0, bytes, (byte) 1);
        return p;
    }

    private static long residentKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
