package dev.vlm3d.jobs;

import java.time.Duration;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Cheap inputs for the estimates in job views (ETA, and the queue position of a new job with many ahead): queued
 * jobs per priority, the recent mean run time and the number of busy workers, read from the database at most once
 * per {@code maxAge} and shared by every request in between. Counting a long queue on every POST /jobs made the
 * submission cost grow with the queue (docs/benchmarks.md, "POST /jobs under load").
 * <p>
 * A snapshot is refreshed by the first request that finds it older than {@code maxAge}; requests arriving meanwhile
 * keep using the previous one, so at most one request per interval waits for the three queries. Submissions this
 * instance admits after a snapshot was taken are counted on top of it, so positions keep growing between refreshes;
 * jobs other instances admit and jobs claimed since are not, which is why such a position is an estimate.
 */
public class QueueEstimates {

    private final JobRepository jobs;
    private final long maxAgeNanos;
    private final ReentrantLock refreshing = new ReentrantLock();
    private volatile Snapshot snapshot;
    /** Admissions since the snapshot being taken or last taken: swapped for an empty map before each refresh. */
    private volatile Map<Integer, LongAdder> admissions = new ConcurrentHashMap<>();

    public QueueEstimates(JobRepository jobs, Duration maxAge) {
        this.jobs = jobs;
        this.maxAgeNanos = maxAge.toNanos();
    }

    /**
     * What the database said at most {@code maxAge} ago.
     *
     * @param queuedByPriority QUEUED jobs per priority
     * @param meanRunTime      mean run time of the latest successful jobs, empty before the first
     * @param runningWorkers   workers holding a job
     * @param admittedSince    jobs this instance admitted after the snapshot's queries began, per priority
     */
    public record Snapshot(
            NavigableMap<Integer, Long> queuedByPriority,
            Optional<Duration> meanRunTime,
            int runningWorkers,
            long takenAtNanos,
            Map<Integer, LongAdder> admittedSince) {

        /** Estimated jobs ahead of a job of this priority submitted now: every queued job of its priority or higher. */
        public long aheadOfNew(int priority) {
            long ahead = 0;
            for (long n : queuedByPriority.tailMap(priority, true).values()) ahead += n;
            for (Map.Entry<Integer, LongAdder> e : admittedSince.entrySet()) {
                if (e.getKey() >= priority) ahead += e.getValue().sum();
            }
            return ahead;
        }
    }

    /** The current snapshot, refreshed first when it is older than {@code maxAge} and no other request is at it. */
    public Snapshot current() {
        Snapshot s = snapshot;
        if (s != null && fresh(s)) return s;
        if (s != null) {
            if (!refreshing.tryLock()) return s;
        } else {
            refreshing.lock();
        }
        try {
            s = snapshot;
            if (s != null && fresh(s)) return s;
            Map<Integer, LongAdder> since = new ConcurrentHashMap<>();
            admissions = since;
            long taken = System.nanoTime();
            s = new Snapshot(
                    jobs.queuedByPriority(), jobs.recentMeanRunTime(), jobs.countRunningWorkers(), taken, since);
            snapshot = s;
            return s;
        } finally {
            refreshing.unlock();
        }
    }

    /** Counts a job this instance just admitted, for positions estimated before the next refresh. */
    public void admitted(int priority) {
        admissions.computeIfAbsent(priority, p -> new LongAdder()).increment();
    }

    private boolean fresh(Snapshot s) {
        return System.nanoTime() - s.takenAtNanos() < maxAgeNanos;
    }
}
