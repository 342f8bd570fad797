package dev.vlm3d.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tensors made from Java arrays, with storage that libtorch owns and no Java direct memory left behind. This is the
 * one way the code turns host data into a tensor: every {@code NDManager.create(<java array>)} goes through here
 * ({@code ArchitectureTest} checks it).
 *
 * <p>Why: DJL stages a Java array in a direct {@link ByteBuffer}; on the CPU the tensor wraps that buffer zero-copy
 * ({@code from_blob}), and the buffer is freed only when the garbage collector finds it unreachable. Two things
 * follow:
 *
 * <ul>
 *   <li>Memory: a step allocates little on the Java heap, so collections are rare, and a buffer that survived one
 *       young collection (its tensor was still open) waits for an old-generation collection, which a heap of a few
 *       hundred MB never needs. The occupancy refreshes, rays and noise of the {@code fast} preset left ~3.4 MB of
 *       such buffers per step, bounded only by the direct-memory limit (the heap's maximum by default):
 *       docs/benchmarks.md, "Direct buffers".
 *   <li>Correctness: a tensor that autograd saved for the backward pass must not sit on memory the collector may
 *       free (see {@link Scalars}).
 * </ul>
 *
 * <p>What: the data is staged in a direct buffer allocated here, wrapped, copied into a libtorch tensor (on a GPU
 * the wrap already copies to the device), and the staging buffer is freed at once. The extra copy is of host data
 * that was about to be copied anyway, a small share of any step.
 */
public final class HostArrays {

    private static final Logger log = LoggerFactory.getLogger(HostArrays.class);

    /** {@code sun.misc.Unsafe.invokeCleaner}, or null where the JDK does not offer it (then the GC frees staging). */
    private static final sun.misc.Unsafe UNSAFE = unsafe();

    private HostArrays() {}

    public static NDArray create(NDManager manager, float[] data, Shape shape) {
        ByteBuffer staging = stage(shape, data.length, Float.BYTES);
        staging.asFloatBuffer().put(data);
        return fromStaging(manager, staging, shape, DataType.FLOAT32);
    }

    public static NDArray create(NDManager manager, double[] data, Shape shape) {
        ByteBuffer staging = stage(shape, data.length, Double.BYTES);
        staging.asDoubleBuffer().put(data);
        return fromStaging(manager, staging, shape, DataType.FLOAT64);
    }

    public static NDArray create(NDManager manager, int[] data, Shape shape) {
        ByteBuffer staging = stage(shape, data.length, Integer.BYTES);
        staging.asIntBuffer().put(data);
        return fromStaging(manager, staging, shape, DataType.INT32);
    }

    public static NDArray create(NDManager manager, long[] data, Shape shape) {
        ByteBuffer staging = stage(shape, data.length, Long.BYTES);
        staging.asLongBuffer().put(data);
        return fromStaging(manager, staging, shape, DataType.INT64);
    }

    public static NDArray create(NDManager manager, boolean[] data, Shape shape) {
        ByteBuffer staging = stage(shape, data.length, 1);
        for (int i = 0; i < data.length; i++) {
            staging.put(i, data[i] ? (byte) 1 : (byte) 0);
        }
        return fromStaging(manager, staging, shape, DataType.BOOLEAN);
    }

    /** A 1-d tensor of the array's length. */
    public static NDArray create(NDManager manager, float[] data) {
        return create(manager, data, new Shape(data.length));
    }

    public static NDArray create(NDManager manager, double[] data) {
        return create(manager, data, new Shape(data.length));
    }

    public static NDArray create(NDManager manager, int[] data) {
        return create(manager, data, new Shape(data.length));
    }

    public static NDArray create(NDManager manager, long[] data) {
        return create(manager, data, new Shape(data.length));
    }

    public static NDArray create(NDManager manager, boolean[] data) {
        return create(manager, data, new Shape(data.length));
    }

    /** A 0-d tensor. */
    public static NDArray scalar(NDManager manager, double value) {
        return create(manager, new double[] {value}, new Shape());
    }

    private static ByteBuffer stage(Shape shape, int length, int elementBytes) {
        if (shape.size() != length) {
            throw new IllegalArgumentException(length + " values do not fill shape " + shape);
        }
        return ByteBuffer.allocateDirect(Math.max(1, length * elementBytes)).order(ByteOrder.nativeOrder());
    }

    private static NDArray fromStaging(NDManager manager, ByteBuffer staging, Shape shape, DataType type) {
        try {
            NDArray wrapped = manager.create(staging, shape, type);
            if (wrapped.getDevice().isGpu()) {
                return wrapped; // DJL copied it to the device and kept no reference
            }
            try (wrapped) {
                return wrapped.duplicate();
            }
        } finally {
            free(staging);
        }
    }

    private static void free(ByteBuffer staging) {
        if (UNSAFE != null) {
            UNSAFE.invokeCleaner(staging);
        }
    }

    private static sun.misc.Unsafe unsafe() {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("staging buffers will be freed by the garbage collector: {}", e.toString());
            return null;
        }
    }
}
