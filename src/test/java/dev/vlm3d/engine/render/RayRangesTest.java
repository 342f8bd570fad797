package dev.vlm3d.engine.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The gradient pass's split of a ray chunk into ranges of at most the sample budget. */
class RayRangesTest {

    @Test
    void rangesCoverEveryRayInOrderWithinTheBudget() {
        Random random = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            long[] counts = new long[1 + random.nextInt(60)];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = random.nextInt(4) == 0 ? 0 : random.nextInt(40);
            }
            long budget = 1 + random.nextInt(120);
            List<long[]> ranges = VolumeRenderer.rayRanges(counts, budget);
            long next = 0;
            for (long[] range : ranges) {
                assertEquals(next, range[0], "ranges are consecutive");
                assertTrue(range[1] > range[0], "no empty range");
                long held = 0;
                for (long r = range[0]; r < range[1]; r++) {
                    held += counts[(int) r];
                }
                assertTrue(
                        held <= budget || range[1] - range[0] == 1,
                        "a range over the budget is a single ray: " + held + " > " + budget);
                next = range[1];
            }
            assertEquals(counts.length, next, "every ray is covered");
        }
    }

    @Test
    void aRayAboveTheBudgetStandsAlone() {
        List<long[]> ranges = VolumeRenderer.rayRanges(new long[] {3, 50, 2, 2, 0, 9}, 10);
        assertEquals(4, ranges.size());
        assertArrayEquals(new long[] {0, 1}, ranges.get(0)); // 3, then 3 + 50 > 10
        assertArrayEquals(new long[] {1, 2}, ranges.get(1)); // 50 alone
        assertArrayEquals(new long[] {2, 5}, ranges.get(2)); // 2 + 2 + 0, then + 9 > 10
        assertArrayEquals(new long[] {5, 6}, ranges.get(3));
    }
}
