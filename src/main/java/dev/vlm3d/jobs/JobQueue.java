package dev.vlm3d.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * The worker side of the Postgres queue: claim, heartbeat, progress, checkpoints and final transitions.
 * <p>
 * Every write a worker makes is fenced by {@code WHERE id = ? AND attempt = ? AND status = 'RUNNING'}: once the
 * rescuer has requeued an expired lease, the job was deleted, or another worker reclaimed it (attempt + 1), the old
 * worker's writes match no row and surface as {@link LeaseLostException}. All lease arithmetic uses the database
 * clock, so replicas with skewed clocks agree on who holds a lease.
 */
public class JobQueue {

    private static final String FENCE = " id = :id AND attempt = :attempt AND status = 'RUNNING'";

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final JobRows rows;
    private final JobChannels channels;
    private final QueueProperties properties;
    private final RetryBackoff backoff;

    public JobQueue(
            JdbcClient jdbc,
            TransactionTemplate tx,
            JsonMapper json,
            JobChannels channels,
            QueueProperties properties) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.rows = new JobRows(json);
        this.channels = channels;
        this.properties = properties;
        this.backoff = new RetryBackoff(properties.retryBaseDelay(), properties.retryMaxDelay());
    }

    public QueueProperties properties() {
        return properties;
    }

    public JobChannels channels() {
        return channels;
    }

    /**
     * Claims the next runnable job in priority (high first) then creation order. SKIP LOCKED lets concurrent
     * claimers pass over rows another transaction is claiming instead of queueing behind it, and the CTE keeps the
     * planner from locking more rows than the LIMIT.
     */
    public Optional<ClaimedJob> claim(String workerId) {
        return tx.execute(status -> {
            Optional<Job> claimed = jdbc.sql("""
                    WITH next AS (
                        SELECT id FROM jobs q
                        WHERE status = 'QUEUED' AND run_at <= now()
                          -- an evaluation waits for the generation jobs it depends on to finish, however they end
                          AND (cardinality(q.depends_on) = 0 OR NOT EXISTS (
                              SELECT 1 FROM jobs d WHERE d.id = ANY (q.depends_on) AND d.status IN ('QUEUED', 'RUNNING')))
                        ORDER BY priority DESC, created_at, id
                        LIMIT 1
                        FOR UPDATE SKIP LOCKED)
                    UPDATE jobs j SET
                        status = 'RUNNING', attempt = j.attempt + 1, worker_id = :worker,
                        lease_expires_at = now() + make_interval(secs => :leaseSeconds), heartbeat_at = now(),
                        started_at = coalesce(j.started_at, now()), stage = 'starting', updated_at = now(),
                        claim_checkpoint_step = j.checkpoint_step,
                        -- a later attempt restarts from the last checkpoint (or step 0): step and progress go back
                        -- to it, and resumed_from_step says so
                        resumed_from_step = CASE WHEN j.attempt > 0 THEN coalesce(j.checkpoint_step, 0) END,
                        step = CASE WHEN j.attempt > 0 THEN coalesce(j.checkpoint_step, 0) ELSE j.step END,
                        progress = CASE WHEN j.attempt > 0
                                        THEN least(100, 100.0 * coalesce(j.checkpoint_step, 0) / j.total_steps)
                                        ELSE j.progress END
                    FROM next WHERE j.id = next.id
                    RETURNING j.*""")
                    .param("worker", workerId)
                    .param("leaseSeconds", seconds(properties.leaseDuration()))
                    .query(rows::job)
                    .optional();
            claimed.ifPresent(job -> notify(channels.changed(), job.id()));
            return claimed.map(job -> new ClaimedJob(job, new Lease(job.id(), job.attempt(), workerId)));
        });
    }

    /**
     * Extends the lease.
     *
     * @return true when cancellation of the job has been requested
     * @throws LeaseLostException when the lease is no longer this worker's
     */
    public boolean heartbeat(Lease lease) {
        return jdbc.sql(
                        "UPDATE jobs SET lease_expires_at = now() + make_interval(secs => :leaseSeconds), heartbeat_at = now() "
                                + "WHERE " + FENCE + " RETURNING cancel_requested_at IS NOT NULL")
                .param("leaseSeconds", seconds(properties.leaseDuration()))
                .param("id", lease.jobId())
                .param("attempt", lease.attempt())
                .query(Boolean.class)
                .optional()
                .orElseThrow(() -> new LeaseLostException(lease.jobId(), lease.attempt()));
    }

    /**
     * Records one step's progress and metrics (also extends the lease).
     *
     * @return true when cancellation of the job has been requested
     * @throws LeaseLostException when the lease is no longer this worker's
     */
    public boolean recordStep(Lease lease, StepUpdate update) {
        Boolean cancelRequested = tx.execute(status -> {
            String metrics = rows.write(update.metrics() == null ? Map.of() : update.metrics());
            Optional<Boolean> cancel = jdbc.sql("""
                    UPDATE jobs SET step = :step, total_steps = :total, stage = :stage, progress = :progress,
                        latest_metrics = CAST(:metrics AS jsonb), heartbeat_at = now(),
                        lease_expires_at = now() + make_interval(secs => :leaseSeconds), updated_at = now()
                    WHERE """ + FENCE + " RETURNING cancel_requested_at IS NOT NULL")
                    .param("step", update.step())
                    .param("total", update.totalSteps())
                    .param("stage", update.stage())
                    .param("progress", update.progressPercent())
                    .param("metrics", metrics)
                    .param("leaseSeconds", seconds(properties.leaseDuration()))
                    .param("id", lease.jobId())
                    .param("attempt", lease.attempt())
                    .query(Boolean.class)
                    .optional();
            if (cancel.isEmpty()) {
                return null;
            }
            jdbc.sql("""
                    INSERT INTO job_steps (job_id, step, attempt, stage, metrics) VALUES (:id, :step, :attempt, :stage, CAST(:metrics AS jsonb))
                    ON CONFLICT (job_id, step) DO UPDATE SET attempt = excluded.attempt, stage = excluded.stage,
                        metrics = excluded.metrics, recorded_at = now()""")
                    .param("id", lease.jobId())
                    .param("step", update.step())
                    .param("attempt", lease.attempt())
                    .param("stage", update.stage())
                    .param("metrics", metrics)
                    .update();
            notify(channels.changed(), lease.jobId());
            return cancel.get();
        });
        if (cancelRequested == null) {
            throw new LeaseLostException(lease.jobId(), lease.attempt());
        }
        return cancelRequested;
    }

    /** Records which step the latest saved checkpoint belongs to. */
    public void recordCheckpoint(Lease lease, int step) {
        fencedUpdate(lease, "checkpoint_step = :checkpointStep", Map.of("checkpointStep", step), false);
    }

    /**
     * Records the step this attempt really resumes from (its checkpoint as loaded, or 0 without one), which can
     * differ from what the claim assumed when a checkpoint was saved but its step not yet recorded.
     */
    public void recordResume(Lease lease, int step) {
        fencedUpdate(lease, """
                resumed_from_step = :resumed, step = :resumed,
                progress = least(100, 100.0 * :resumed / total_steps),
                checkpoint_step = CASE WHEN :resumed > 0 THEN :resumed ELSE checkpoint_step END,
                claim_checkpoint_step = CASE WHEN :resumed > 0 THEN :resumed ELSE claim_checkpoint_step END""", Map.of("resumed", step), true);
    }

    public void complete(Lease lease) {
        fencedUpdate(lease, """
                status = 'SUCCEEDED', stage = 'done', progress = 100, finished_at = now(), worker_id = NULL,
                lease_expires_at = NULL, error_code = NULL, error_message = NULL""", Map.of(), true);
    }

    /** The generator stopped because cancellation was requested. */
    public void markCancelled(Lease lease) {
        fencedUpdate(lease, """
                status = 'CANCELLED', stage = 'cancelled', finished_at = now(), worker_id = NULL,
                lease_expires_at = NULL""", Map.of(), true);
    }

    /** A failure that retrying cannot fix (bad input, content policy, missing engine): FAILED at once. */
    public void failPermanently(Lease lease, String code, String message) {
        fencedUpdate(lease, """
                status = 'FAILED', stage = 'failed', finished_at = now(), worker_id = NULL, lease_expires_at = NULL,
                failures = failures + 1, error_code = :code, error_message = :message""", Map.of("code", code, "message", truncate(message)), true);
    }

    /**
     * A failure that may pass on retry (out of memory, a lost device): it counts, and the job is requeued after an
     * exponential backoff with jitter, or FAILED once it has used up its attempts (see {@link #endAttempt}).
     */
    public TransitionResult failTransiently(Lease lease, String code, String message) {
        Ended ended = endAttempt(lease, new Ending(Cause.ERROR, code, truncate(message)));
        return new TransitionResult(ended.status(), ended.runAt());
    }

    /**
     * Gives a job back without counting an attempt: used on graceful shutdown after the generator saved a
     * checkpoint, so that another worker resumes it at once.
     */
    public JobStatus release(Lease lease) {
        return endAttempt(lease, new Ending(Cause.HAND_BACK, "WORKER_SHUTDOWN", null))
                .status();
    }

    /**
     * Requeues RUNNING jobs whose lease expired (their worker died, hung or lost the database). Whether the lost
     * attempt counts against {@code max_attempts} depends on what it achieved: one that moved the checkpoint past
     * where it started is an interruption (a preemption, a kill, a restart) and costs nothing, since its work is kept;
     * one without checkpoint progress counts, so a job that keeps killing its worker before checkpointing (e.g. the
     * process runs out of memory) fails. Either way the job waits the retry backoff before it runs again. A lease
     * loss is not an error of the job: it is recorded as the last interruption, and {@code error} is only set when
     * the job fails. Cancelled jobs are not brought back to life.
     */
    public List<RescuedJob> rescueExpiredLeases() {
        return tx.execute(status -> {
            List<Lease> expired = jdbc.sql("""
                    SELECT id, attempt, worker_id FROM jobs WHERE status = 'RUNNING' AND lease_expires_at < now()
                    FOR UPDATE SKIP LOCKED""")
                    .query((rs, i) ->
                            new Lease(rs.getObject("id", UUID.class), rs.getInt("attempt"), rs.getString("worker_id")))
                    .list();
            List<RescuedJob> rescued = new ArrayList<>(expired.size());
            for (Lease lease : expired) {
                // the rows are locked by this transaction: the attempt each was read with is still current
                Decision d = endAttempt(lease, new Ending(Cause.LEASE_EXPIRED, "LEASE_EXPIRED", null))
                        .decision();
                rescued.add(new RescuedJob(lease.jobId(), lease.workerId(), d.status(), !d.counted()));
            }
            return rescued;
        });
    }

    /** Why an attempt ended without success. */
    private enum Cause {
        /** the generator failed with a retryable error: counts, shown as the job's error while it waits */
        ERROR,
        /** the lease lapsed: counts only without checkpoint progress; an error only once the job fails */
        LEASE_EXPIRED,
        /** graceful shutdown after a checkpoint: never counts, no backoff */
        HAND_BACK
    }

    /** @param message the cause's message; null for the causes whose message the row decides */
    private record Ending(Cause cause, String code, String message) {}

    /** The running attempt's row as the ending decides on it (read under its row lock). */
    private record AttemptRow(
            String workerId,
            int attempt,
            int failures,
            int maxAttempts,
            boolean cancelRequested,
            Integer checkpointStep,
            boolean progressed) {}

    /** Where the job goes and what it shows. */
    private record Decision(
            JobStatus status,
            String stage,
            boolean counted,
            String errorCode,
            String errorMessage,
            String interruptionMessage,
            Duration delay) {}

    private record Ended(Decision decision, Instant runAt) {
        JobStatus status() {
            return decision.status();
        }
    }

    /**
     * The one transition of an attempt that ends without success, whatever ended it: CANCELLED when cancellation
     * was requested meanwhile; FAILED when the job used up its counted attempts ({@code max_attempts}) or all of
     * them ({@code vlm3d.queue.max-total-attempts}); otherwise QUEUED again, after the retry backoff
     * ({@link RetryBackoff}, sized by the failures counted so far) unless it was handed back on shutdown.
     *
     * @throws LeaseLostException when the attempt is no longer the running one
     */
    private Ended endAttempt(Lease lease, Ending ending) {
        Ended ended = tx.execute(status -> {
            Optional<AttemptRow> row = jdbc.sql("""
                    SELECT worker_id, attempt, failures, max_attempts, cancel_requested_at IS NOT NULL AS cancel_requested,
                           checkpoint_step,
                           coalesce(checkpoint_step, -1) > coalesce(claim_checkpoint_step, -1) AS progressed
                    FROM jobs WHERE""" + FENCE + " FOR UPDATE")
                    .param("id", lease.jobId())
                    .param("attempt", lease.attempt())
                    .query((rs, i) -> new AttemptRow(
                            rs.getString("worker_id"),
                            rs.getInt("attempt"),
                            rs.getInt("failures"),
                            rs.getInt("max_attempts"),
                            rs.getBoolean("cancel_requested"),
                            (Integer) rs.getObject("checkpoint_step"),
                            rs.getBoolean("progressed")))
                    .optional();
            if (row.isEmpty()) {
                return null;
            }
            Decision d = decide(row.get(), ending);
            Instant runAt = jdbc.sql("""
                    UPDATE jobs SET
                        failures = failures + :counted, interruptions = interruptions + :interrupted,
                        status = :status, stage = :stage,
                        finished_at = CASE WHEN :finished THEN now() END,
                        run_at = now() + make_interval(secs => :delaySeconds),
                        error_code = :errorCode, error_message = :errorMessage, worker_id = NULL, lease_expires_at = NULL,
                        last_interruption_code = :code, last_interruption_message = :interruption,
                        last_interruption_at = now(), updated_at = now()
                    WHERE""" + FENCE + " RETURNING run_at")
                    .param("counted", d.counted() ? 1 : 0)
                    .param("interrupted", d.counted() || ending.cause() == Cause.ERROR ? 0 : 1)
                    .param("status", d.status().name())
                    .param("stage", d.stage())
                    .param("finished", d.status() != JobStatus.QUEUED)
                    .param("delaySeconds", seconds(d.delay()))
                    .param("errorCode", d.errorCode())
                    .param("errorMessage", d.errorMessage())
                    .param("code", ending.code())
                    .param("interruption", d.interruptionMessage())
                    .param("id", lease.jobId())
                    .param("attempt", lease.attempt())
                    .query((rs, i) -> JobRows.instant(rs, "run_at"))
                    .single();
            notify(channels.changed(), lease.jobId());
            // a job that waits for its backoff is found by the workers' polls once it is due
            if (d.status() == JobStatus.QUEUED && d.delay().isZero()) notify(channels.queued(), lease.jobId());
            return new Ended(d, runAt);
        });
        if (ended == null) {
            throw new LeaseLostException(lease.jobId(), lease.attempt());
        }
        return ended;
    }

    private Decision decide(AttemptRow row, Ending ending) {
        String worker = "worker " + (row.workerId() == null ? "?" : row.workerId());
        boolean counted = switch (ending.cause()) {
            case ERROR -> true;
            case LEASE_EXPIRED -> !row.progressed();
            case HAND_BACK -> false;
        };
        int failures = row.failures() + (counted ? 1 : 0);
        String interruption = switch (ending.cause()) {
            case ERROR -> ending.message();
            case LEASE_EXPIRED ->
                worker + " stopped renewing its lease"
                        + (row.progressed()
                                ? " after checkpointing step " + row.checkpointStep()
                                : " without checkpoint progress");
            case HAND_BACK -> worker + " shut down and handed the job back";
        };
        // the error a job shows: a generator error from the moment it happens, anything else only once it fails
        String errorCode = ending.cause() == Cause.ERROR ? ending.code() : null;
        String errorMessage = ending.cause() == Cause.ERROR ? ending.message() : null;
        if (row.cancelRequested()) {
            return new Decision(
                    JobStatus.CANCELLED, "cancelled", counted, errorCode, errorMessage, interruption, Duration.ZERO);
        }
        if (row.attempt() >= properties.maxTotalAttempts() && ending.cause() != Cause.ERROR) {
            return new Decision(
                    JobStatus.FAILED,
                    "failed",
                    counted,
                    "ATTEMPTS_EXHAUSTED",
                    "the job was interrupted on " + "each of its " + row.attempt()
                            + " attempts (vlm3d.queue.max-total-attempts)",
                    interruption,
                    Duration.ZERO);
        }
        if (row.attempt() >= properties.maxTotalAttempts() || (counted && failures >= row.maxAttempts())) {
            if (ending.cause() == Cause.LEASE_EXPIRED) {
                errorCode = ending.code();
                errorMessage = worker + " stopped renewing its lease before the job checkpointed, on " + failures
                        + " attempts";
            }
            return new Decision(
                    JobStatus.FAILED, "failed", counted, errorCode, errorMessage, interruption, Duration.ZERO);
        }
        Duration delay = ending.cause() == Cause.HAND_BACK ? Duration.ZERO : backoff.delayAfter(Math.max(1, failures));
        return new Decision(
                JobStatus.QUEUED,
                ending.cause() == Cause.ERROR ? "retry_wait" : "queued",
                counted,
                errorCode,
                errorMessage,
                interruption,
                delay);
    }

    private void fencedUpdate(Lease lease, String assignments, Map<String, Object> params, boolean notifyChange) {
        Integer updated = tx.execute(status -> {
            JdbcClient.StatementSpec spec = jdbc.sql(
                            "UPDATE jobs SET " + assignments + ", updated_at = now() WHERE " + FENCE)
                    .param("id", lease.jobId())
                    .param("attempt", lease.attempt());
            for (Map.Entry<String, Object> p : params.entrySet()) {
                spec = spec.param(p.getKey(), p.getValue());
            }
            int n = spec.update();
            if (n == 1 && notifyChange) notify(channels.changed(), lease.jobId());
            return n;
        });
        if (updated == null || updated != 1) {
            throw new LeaseLostException(lease.jobId(), lease.attempt());
        }
    }

    private void notify(String channel, UUID id) {
        jdbc.sql("SELECT pg_notify(:c, :p)")
                .param("c", channel)
                .param("p", id.toString())
                .query()
                .singleRow();
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }

    private static String truncate(String message) {
        if (message == null || message.isBlank()) return "(no message)";
        return message.length() <= 2000 ? message : message.substring(0, 2000);
    }
}
