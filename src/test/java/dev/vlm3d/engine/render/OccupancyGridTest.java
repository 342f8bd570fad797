package dev.vlm3d.engine.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.vlm3d.engine.RunConfig;
import dev.vlm3d.engine.field.FieldConfig;
import dev.vlm3d.engine.field.NerfField;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The grid refresh against nerfacc 0.5.2's OccGridEstimator._update (docs/paper-vs-code.md). */
class OccupancyGridTest {

    private static final RenderConfig CONFIG = RunConfig.tiny(10).render(); // 16³ cells, warm-up 256
    private static final int CELLS = 16 * 16 * 16;
    private static final int AFTER_WARMUP = RenderConfig.NERFACC_WARMUP_STEPS + 64;
    private static NDManager manager;
    private static NerfField field;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager(Device.cpu());
        Engine.getInstance().setRandomSeed(3);
        field = new NerfField(FieldConfig.tiny(), manager, DataType.FLOAT32);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static OccupancyGrid grid(float[] state) {
        OccupancyGrid g = new OccupancyGrid(CONFIG, manager);
        g.restore(state);
        return g;
    }

    @Test
    void warmUpRefreshesEveryCell() {
        OccupancyGrid g = new OccupancyGrid(CONFIG, manager);
        g.update(field, RenderConfig.NERFACC_WARMUP_STEPS - 16, 1);
        for (float v : g.occupancyValues()) {
            assertTrue(v > 0, "softplus density is positive, so every evaluated cell is > 0");
        }
    }

    @Test
    void afterWarmUpOnlyTheDrawnCellsDecay() {
        float[] ones = new float[CELLS];
        Arrays.fill(ones, 1f); // all occupied, far above any σ·step of the field
        OccupancyGrid g = grid(ones);
        g.update(field, AFTER_WARMUP, 1);
        int changed = 0;
        for (float v : g.occupancyValues()) {
            if (v != 1f) {
                changed++;
                assertEquals(0.95f, v, 0f, "a drawn cell decays once: max(0.95·1, σ·step)");
            }
        }
        // R³/4 uniform + R³/4 occupied draws, with replacement: about 1 − e^(−1/2) of the cells, never more than half
        assertTrue(changed > CELLS / 4 && changed <= CELLS / 2, changed + " of " + CELLS + " cells refreshed");
    }

    @Test
    void fewerOccupiedCellsThanAQuarterAreAllRefreshed() {
        float[] state = new float[CELLS];
        int occupied = 0;
        for (int c = 0; c < CELLS; c += 37) {
            state[c] = 1f;
            occupied++;
        }
        OccupancyGrid g = grid(state);
        assertEquals((double) occupied / CELLS, g.occupiedFraction(), 1e-6);
        g.update(field, AFTER_WARMUP, 2);
        float[] after = g.occupancyValues();
        int emptyTouched = 0;
        for (int c = 0; c < CELLS; c++) {
            if (state[c] == 1f) {
                assertEquals(0.95f, after[c], 0f, "occupied cell " + c + " is always refreshed");
            } else if (after[c] != 0f) {
                emptyTouched++;
            }
        }
        assertTrue(emptyTouched > 0 && emptyTouched <= CELLS / 4, emptyTouched + " empty cells drawn uniformly");
    }

    @Test
    void binarizesAtTheMeanOfAllCellsCappedByTheThreshold() {
        // 10% of the cells at 0.005, the rest 0: mean 0.0005 < 0.01, so exactly those cells are occupied
        float[] state = new float[CELLS];
        int set = 0;
        for (int c = 0; c < CELLS; c += 10) {
            state[c] = 0.005f;
            set++;
        }
        OccupancyGrid g = grid(state);
        assertEquals((double) set / CELLS, g.occupiedFraction(), 1e-6);

        g.update(field, 0, 4);
        float[] v = g.occupancyValues();
        double mean = 0;
        for (float x : v) {
            mean += x;
        }
        mean /= CELLS;
        float threshold = (float) Math.min(mean, CONFIG.occupancyThreshold());
        int above = 0;
        for (float x : v) {
            above += x > threshold ? 1 : 0;
        }
        assertEquals((double) above / CELLS, g.occupiedFraction(), 1e-6);
        assertEquals(Math.min(CONFIG.occupancyThreshold(), mean), g.alphaThreshold(), 1e-7);
    }

    @Test
    void drawsAndJitterDependOnlyOnTheSeedAndTheStep() {
        float[] ones = new float[CELLS];
        Arrays.fill(ones, 1f);
        OccupancyGrid a = grid(ones);
        OccupancyGrid b = grid(ones);
        OccupancyGrid later = grid(ones);
        OccupancyGrid otherSeed = grid(ones);
        Engine.getInstance().setRandomSeed(99); // the torch generator plays no part
        a.update(field, AFTER_WARMUP, 5);
        Engine.getInstance().setRandomSeed(12345);
        b.update(field, AFTER_WARMUP, 5);
        later.update(field, AFTER_WARMUP + 16, 5);
        otherSeed.update(field, AFTER_WARMUP, 6);
        assertArrayEquals(a.occupancyValues(), b.occupancyValues(), 0f);
        assertFalse(Arrays.equals(a.occupancyValues(), later.occupancyValues()));
        assertFalse(Arrays.equals(a.occupancyValues(), otherSeed.occupancyValues()));
    }
}
