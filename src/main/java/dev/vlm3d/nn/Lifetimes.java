package dev.vlm3d.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;

/**
 * Native memory lifetimes of a block of tensor code. DJL frees an intermediate only when its scope or manager closes,
 * so a block that makes temporaries runs in its own {@link NDScope}: when it ends, every array it created is closed
 * except the ones it returns, which move to the enclosing scope. What autograd saved for the backward pass stays
 * alive regardless (libtorch holds its own reference), so only true garbage is freed.
 *
 * <p>Contract: the block returns arrays it created itself (not its inputs or long-lived parameters), because the
 * returned arrays become owned by the enclosing scope.
 */
public final class Lifetimes {

    private Lifetimes() {}

    /** Runs {@code block} in its own scope and keeps only the arrays of its result. */
    public static NDList scoped(Supplier<NDList> block) {
        NDList out;
        try (NDScope scope = new NDScope()) {
            out = block.get();
            for (NDArray a : out) {
                if (a != null) {
                    NDScope.unregister(a);
                }
            }
        }
        for (NDArray a : out) {
            if (a != null) {
                NDScope.register(a);
            }
        }
        return out;
    }

    /** {@link #scoped(Supplier)} for a block with one result. */
    public static NDArray scopedArray(Supplier<NDArray> block) {
        return scoped(() -> new NDList(block.get())).get(0);
    }

    /** Runs {@code block}, which reads a host value (numbers, Java arrays) off tensors, closing every array it made. */
    public static <T> T hostValue(Supplier<T> block) {
        try (NDScope scope = new NDScope()) {
            return block.get();
        }
    }
}
