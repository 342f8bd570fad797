package dev.vlm3d.artifacts;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Expires finished jobs whose time to live ran out (README "Retention"): marks them EXPIRED, keeping the row, its
 * steps and its metadata, and deletes their artifacts and checkpoints. Every replica runs it; the database is the
 * coordinator. Marking is one statement over rows claimed with {@code FOR UPDATE SKIP LOCKED}, so two replicas
 * never mark the same job twice. Deleting happens afterwards, one job per transaction that holds that job's row
 * lock (skipped by the other replicas) while the store removes its bytes and rows: a replica that dies half-way
 * leaves an EXPIRED job that still has artifact rows, and the next pass of any replica finishes it. Store
 * deletions are idempotent, so bytes already gone are not an error. Marking comes first, so downloads answer 410
 * from the moment a job expires, never a half-deleted artifact.
 */
public class ExpirySweep implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ExpirySweep.class);

    /** What one pass did. */
    public record Pass(List<UUID> expired, int purged) {}

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final ArtifactStore store;
    private final String changedChannel;
    private final int batch;
    private final Duration interval;
    private ScheduledExecutorService scheduler;

    /**
     * @param changedChannel the NOTIFY channel of job changes (JobChannels.changed), so event streams see EXPIRED
     */
    public ExpirySweep(
            JdbcClient jdbc,
            TransactionTemplate tx,
            ArtifactStore store,
            String changedChannel,
            int batch,
            Duration interval) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.store = store;
        this.changedChannel = changedChannel;
        this.batch = batch;
        this.interval = interval;
    }

    public synchronized void start() {
        if (scheduler != null) return;
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vlm3d-expiry-sweep");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(
                this::sweepQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void sweepQuietly() {
        try {
            sweepOnce();
        } catch (RuntimeException e) {
            log.warn("expiry sweep failed: {}", e.toString());
        }
    }

    /** One pass: marks at most one batch of due jobs EXPIRED, then purges at most one batch of EXPIRED jobs. */
    public Pass sweepOnce() {
        List<UUID> expired = markDue();
        if (!expired.isEmpty()) log.info("{} job(s) expired", expired.size());
        int purged = 0;
        for (UUID job : jdbc.sql("""
                SELECT j.id FROM jobs j
                WHERE j.status = 'EXPIRED' AND EXISTS (SELECT 1 FROM artifacts a WHERE a.job_id = j.id)
                LIMIT :batch""")
                .param("batch", batch)
                .query((rs, i) -> rs.getObject("id", UUID.class))
                .list()) {
            if (purge(job)) purged++;
        }
        if (purged > 0) log.info("deleted the artifacts of {} expired job(s)", purged);
        return new Pass(expired, purged);
    }

    /** The stage is left as it was (done, failed, cancelled): it still tells how the job finished. */
    private List<UUID> markDue() {
        return jdbc.sql("""
                WITH due AS (
                    SELECT id FROM jobs
                    WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') AND expires_at <= now()
                    ORDER BY expires_at LIMIT :batch
                    FOR UPDATE SKIP LOCKED),
                expired AS (
                    UPDATE jobs j SET status = 'EXPIRED', updated_at = now() FROM due WHERE j.id = due.id
                    RETURNING j.id)
                SELECT id, pg_notify(:channel, id::text) AS notified FROM expired""")
                .param("batch", batch)
                .param("channel", changedChannel)
                .query((rs, i) -> rs.getObject("id", UUID.class))
                .list();
    }

    /**
     * Deletes every artifact of one EXPIRED job under its row lock; false when another replica holds the job, or the
     * store failed (then the job keeps its rows, and a later pass tries again: one failing job holds up no other).
     */
    private boolean purge(UUID job) {
        return Boolean.TRUE.equals(tx.execute(status -> {
            boolean locked = jdbc.sql(
                            "SELECT id FROM jobs WHERE id = :id AND status = 'EXPIRED' FOR UPDATE SKIP LOCKED")
                    .param("id", job)
                    .query((rs, i) -> true)
                    .optional()
                    .isPresent();
            if (!locked) return false;
            // looked at only now, holding the lock: a replica that purged this job before us has committed by now
            // (a statement sees what committed before it began), so a job is never purged twice
            boolean left = jdbc.sql("SELECT EXISTS (SELECT 1 FROM artifacts WHERE job_id = :id)")
                    .param("id", job)
                    .query(Boolean.class)
                    .single();
            if (!left) return false;
            try {
                store.purgeJob(job);
                return true;
            } catch (Exception e) {
                status.setRollbackOnly();
                log.warn("could not delete the artifacts of expired job {}: {}", job, e.toString());
                return false;
            }
        }));
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }
}
