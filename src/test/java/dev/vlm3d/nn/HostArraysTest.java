package dev.vlm3d.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class HostArraysTest {

    private static final int ARRAYS = 64;
    private static final int FLOATS = 64 * 1024; // 256 KB each, 16 MB in all

    @Test
    void everyElementTypeKeepsItsValuesShapeAndType() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray f = HostArrays.create(m, new float[] {1.5f, -2f, 3f, 4f, 5f, 6f}, new Shape(2, 3));
            assertThat(f.getShape()).isEqualTo(new Shape(2, 3));
            assertThat(f.getDataType()).isEqualTo(DataType.FLOAT32);
            assertArrayEquals(new float[] {1.5f, -2f, 3f, 4f, 5f, 6f}, f.toFloatArray());

            NDArray d = HostArrays.create(m, new double[] {Math.PI, -1e-300});
            assertThat(d.getDataType()).isEqualTo(DataType.FLOAT64);
            assertArrayEquals(new double[] {Math.PI, -1e-300}, d.toDoubleArray());

            NDArray i = HostArrays.create(m, new int[] {Integer.MIN_VALUE, 0, 7});
            assertThat(i.getDataType()).isEqualTo(DataType.INT32);
            assertArrayEquals(new int[] {Integer.MIN_VALUE, 0, 7}, i.toIntArray());

            NDArray l = HostArrays.create(m, new long[] {Long.MAX_VALUE, -3}, new Shape(1, 2));
            assertThat(l.getDataType()).isEqualTo(DataType.INT64);
            assertArrayEquals(new long[] {Long.MAX_VALUE, -3}, l.toLongArray());

            NDArray b = HostArrays.create(m, new boolean[] {true, false, true});
            assertThat(b.getDataType()).isEqualTo(DataType.BOOLEAN);
            assertArrayEquals(new boolean[] {true, false, true}, b.toBooleanArray());

            NDArray s = HostArrays.scalar(m, 0.1);
            assertThat(s.getShape()).isEqualTo(new Shape());
            assertThat(s.getDouble()).isEqualTo(0.1);

            assertThat(HostArrays.create(m, new float[0]).getShape()).isEqualTo(new Shape(0));
        }
    }

    @Test
    void valuesThatDoNotFillTheShapeAreRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> HostArrays.create(m, new float[5], new Shape(2, 3)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("(2, 3)");
        }
    }

    /**
     * The staging buffers are freed at creation, not when the collector gets to them: 16 MB made into closed tensors
     * leave no direct memory behind, where DJL's own {@code create} leaves all 16 MB (the control, which shows that the
     * figure sees them).
     */
    @Test
    void noDirectMemoryOutlivesTheCall() {
        float[] data = new float[FLOATS];
        try (NDManager m = NDManager.newBaseManager()) {
            long before = directBytes();
            for (int k = 0; k < ARRAYS; k++) {
                HostArrays.create(m, data, new Shape(FLOATS)).close();
            }
            long ours = directBytes() - before;

            before = directBytes();
            for (int k = 0; k < ARRAYS; k++) {
                m.create(data, new Shape(FLOATS)).close();
            }
            long djls = directBytes() - before;

            assertThat(djls).as("DJL's create (control)").isGreaterThanOrEqualTo((long) ARRAYS * FLOATS * Float.BYTES);
            assertThat(ours).as("HostArrays.create").isLessThan(1L << 20);
        }
    }

    @Test
    void aTensorSavedForTheBackwardSurvivesCollection() {
        try (NDManager m = NDManager.newBaseManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray x = m.ones(new Shape(3));
            x.setRequiresGradient(true);
            NDArray w = HostArrays.create(m, new float[] {1, 2, 3});
            NDArray y = x.mul(w).sum();
            ScalarsTest.pressureDirectMemory();
            gc.backward(y);
            assertArrayEquals(new float[] {1, 2, 3}, x.getGradient().toFloatArray());
        }
    }

    private static long directBytes() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct"))
                .mapToLong(BufferPoolMXBean::getMemoryUsed)
                .sum();
    }
}
