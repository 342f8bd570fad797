package dev.vlm3d.engine;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The JVM-wide turn of the runs that share a process (several CPU workers): libtorch allows one gradient collector
 * per process and torch's random generator is global, so every step of a {@link Vlm3dRun}, its construction (the
 * field's initial draw), its export and everything else that draws torch randomness (a job's prompt encoding) runs
 * under this one fair lock. A step reseeds the generator from (seed, step), so taking turns keeps each run
 * reproducible. Reentrant: a caller that holds it may construct a run inside its turn.
 */
public final class TrainingLock {

    private static final ReentrantLock LOCK = new ReentrantLock(true);

    private TrainingLock() {}

    /** Work done in the lock's turn. */
    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        T run() throws E;
    }

    /** Runs {@code work} in this JVM's training turn, waiting for it interruptibly. */
    public static <T, E extends Exception> T exclusively(Work<T, E> work) throws E, InterruptedException {
        LOCK.lockInterruptibly();
        try {
            return work.run();
        } finally {
            LOCK.unlock();
        }
    }

    /** The same for a constructor, which cannot be interrupted half-way: a turn ends once the current step ends. */
    static <T> T uninterruptibly(Work<T, RuntimeException> work) {
        LOCK.lock();
        try {
            return work.run();
        } finally {
            LOCK.unlock();
        }
    }
}
