package dev.vlm3d.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.junit.jupiter.api.Test;

/**
 * The allocator settings take effect: after a large mmapped block is freed (which, with glibc's dynamic threshold,
 * raises the threshold to that block's size), a block between the fixed threshold and that size must still get its
 * own mapping, so that freeing it returns its memory to the kernel instead of leaving a hole in an arena.
 */
class NativeHeapTest {

    /** glibc marks a chunk served by its own mapping with bit 1 (IS_MMAPPED) of the size word before the pointer. */
    private static final long IS_MMAPPED = 0x2;

    interface C extends Library {
        Pointer malloc(long size);

        void free(Pointer p);
    }

    @Test
    void aBlockAboveTheFixedThresholdIsMappedEvenAfterALargerOneWasFreed() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "glibc only");
        NativeHeap.Outcome outcome = NativeHeap.configure();
        assumeTrue(outcome != NativeHeap.Outcome.NOT_GLIBC, "the C library is not glibc");
        assertEquals(NativeHeap.Outcome.TUNED, outcome);

        C c = Native.load("c", C.class);
        Pointer large = c.malloc(16L << 20);
        assertNotEquals(0, sizeWord(large) & IS_MMAPPED, "16 MB is above every threshold");
        c.free(large); // with the dynamic threshold this raises it to 16 MB

        Pointer medium = c.malloc(1L << 20);
        try {
            assertNotEquals(0, sizeWord(medium) & IS_MMAPPED,
                    "a 1 MB block after a freed 16 MB one came from an arena: the threshold is still dynamic");
        } finally {
            c.free(medium);
        }

        Pointer small = c.malloc(NativeHeap.MMAP_THRESHOLD_BYTES / 4);
        try {
            assertEquals(0, sizeWord(small) & IS_MMAPPED, "a block below the threshold comes from an arena");
        } finally {
            c.free(small);
        }
    }

    @Test
    void configuringTwiceKeepsTheFirstOutcome() {
        assertEquals(NativeHeap.configure(), NativeHeap.configure());
    }

    private static long sizeWord(Pointer p) {
        return p.getLong(-Long.BYTES);
    }
}
