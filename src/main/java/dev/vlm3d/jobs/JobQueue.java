package dev.vlm3d.jobs;

import java.time.Duration;
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

    public JobQueue(JdbcClient jdbc, TransactionTemplate tx, JsonMapper json, JobChannels channels, QueueProperties properties) {
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
                    .param("worker", workerId).param("leaseSeconds", seconds(properties.leaseDuration()))
                    .query(rows::job).optional();
            claimed.ifPresent(job -> notify(channels.changed(), job.id()));
            return claimed.map(job -> new ClaimedJob(job, new Lease(job.id(), job.attempt(), workerId, job.failures())));
        });
    }

    /**
     * Extends the lease.
     *
     * @return true when cancellation of the job has been requested
     * @throws LeaseLostException when the lease is no longer this worker's
     */
    public boolean heartbeat(Lease lease) {
        return jdbc.sql("UPDATE jobs SET lease_expires_at = now() + make_interval(secs => :leaseSeconds), heartbeat_at = now() "
                        + "WHERE " + FENCE + " RETURNING cancel_requested_at IS NOT NULL")
                .param("leaseSeconds", seconds(properties.leaseDuration()))
                .param("id", lease.jobId()).param("attempt", lease.attempt())
                .query(Boolean.class).optional()
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
                    .param("step", update.step()).param("total", update.totalSteps()).param("stage", update.stage())
                    .param("progress", update.progressPercent()).param("metrics", metrics)
                    .param("leaseSeconds", seconds(properties.leaseDuration()))
                    .param("id", lease.jobId()).param("attempt", lease.attempt())
                    .query(Boolean.class).optional();
            if (cancel.isEmpty()) {
                return null;
            }
            jdbc.sql("""
                    INSERT INTO job_steps (job_id, step, attempt, stage, metrics) VALUES (:id, :step, :attempt, :stage, CAST(:metrics AS jsonb))
                    ON CONFLICT (job_id, step) DO UPDATE SET attempt = excluded.attempt, stage = excluded.stage,
                        metrics = excluded.metrics, recorded_at = now()""")
                    .param("id", lease.jobId()).param("step", update.step()).param("attempt", lease.attempt())
                    .param("stage", update.stage()).param("metrics", metrics).update();
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
                claim_checkpoint_step = CASE WHEN :resumed > 0 THEN :resumed ELSE claim_checkpoint_step END""",
                Map.of("resumed", step), true);
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
                failures = failures + 1, error_code = :code, error_message = :message""",
                Map.of("code", code, "message", truncate(message)), true);
    }

    /**
     * A failure that may pass on retry (out of memory, a lost device): requeued after an exponential backoff with
     * jitter, or FAILED once the job has used up its attempts. A job whose cancellation was requested meanwhile is
     * CANCELLED instead of retried.
     */
    public TransitionResult failTransiently(Lease lease, String code, String message) {
        Duration delay = backoff.delayAfter(lease.failuresBefore() + 1);
        TransitionResult result = tx.execute(status -> {
            Optional<TransitionResult> updated = jdbc.sql("""
                    UPDATE jobs SET
                        failures = failures + 1,
                        status = CASE WHEN cancel_requested_at IS NOT NULL THEN 'CANCELLED'
                                      WHEN failures + 1 >= max_attempts OR attempt >= :ceiling THEN 'FAILED'
                                      ELSE 'QUEUED' END,
                        stage = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'
                                     WHEN failures + 1 >= max_attempts OR attempt >= :ceiling THEN 'failed'
                                     ELSE 'retry_wait' END,
                        finished_at = CASE WHEN cancel_requested_at IS NOT NULL OR failures + 1 >= max_attempts
                                                OR attempt >= :ceiling THEN now() END,
                        run_at = now() + make_interval(secs => :delaySeconds),
                        error_code = :code, error_message = :message, worker_id = NULL, lease_expires_at = NULL,
                        last_interruption_code = :code, last_interruption_message = :message,
                        last_interruption_at = now(), updated_at = now()
                    WHERE """ + FENCE + " RETURNING status, run_at")
                    .param("ceiling", properties.maxTotalAttempts())
                    .param("delaySeconds", seconds(delay)).param("code", code).param("message", truncate(message))
                    .param("id", lease.jobId()).param("attempt", lease.attempt())
                    .query((rs, i) -> new TransitionResult(JobStatus.valueOf(rs.getString("status")), JobRows.instant(rs, "run_at")))
                    .optional();
            updated.ifPresent(r -> notify(channels.changed(), lease.jobId()));
            return updated.orElse(null);
        });
        if (result == null) {
            throw new LeaseLostException(lease.jobId(), lease.attempt());
        }
        return result;
    }

    /**
     * Gives a job back without counting an attempt: used on graceful shutdown after the generator saved a
     * checkpoint, so that another worker resumes it at once.
     */
    public JobStatus release(Lease lease) {
        JobStatus result = tx.execute(status -> {
            Optional<JobStatus> updated = jdbc.sql("""
                    UPDATE jobs SET
                        status = CASE WHEN cancel_requested_at IS NOT NULL THEN 'CANCELLED' ELSE 'QUEUED' END,
                        stage = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled' ELSE 'queued' END,
                        finished_at = CASE WHEN cancel_requested_at IS NOT NULL THEN now() END,
                        run_at = now(), worker_id = NULL, lease_expires_at = NULL, updated_at = now(),
                        interruptions = interruptions + 1, error_code = NULL, error_message = NULL,
                        last_interruption_code = 'WORKER_SHUTDOWN',
                        last_interruption_message = 'worker ' || coalesce(worker_id, '?') || ' shut down and handed the job back',
                        last_interruption_at = now()
                    WHERE """ + FENCE + " RETURNING status")
                    .param("id", lease.jobId()).param("attempt", lease.attempt())
                    .query((rs, i) -> JobStatus.valueOf(rs.getString(1))).optional();
            updated.ifPresent(s -> {
                notify(channels.changed(), lease.jobId());
                if (s == JobStatus.QUEUED) notify(channels.queued(), lease.jobId());
            });
            return updated.orElse(null);
        });
        if (result == null) {
            throw new LeaseLostException(lease.jobId(), lease.attempt());
        }
        return result;
    }

    /**
     * Requeues RUNNING jobs whose lease expired (their worker died, hung or lost the database). Whether the lost
     * attempt counts against {@code max_attempts} depends on what it achieved: one that moved the checkpoint past
     * where it started is an interruption (a preemption, a kill, a restart) and costs nothing, since its work is kept;
     * one without checkpoint progress counts, so a job that keeps killing its worker before checkpointing (e.g. the
     * process runs out of memory) fails. Every attempt counts towards {@code maxTotalAttempts}, so nothing loops
     * forever. A lease loss is not an error of the job: it is recorded as the last interruption, and {@code error}
     * is only set when the job fails. Cancelled jobs are not brought back to life.
     */
    public List<RescuedJob> rescueExpiredLeases() {
        return tx.execute(status -> {
            List<RescuedJob> rescued = jdbc.sql("""
                    WITH expired AS (
                        SELECT id, worker_id,
                               coalesce(checkpoint_step, -1) > coalesce(claim_checkpoint_step, -1) AS progressed
                        FROM jobs WHERE status = 'RUNNING' AND lease_expires_at < now()
                        FOR UPDATE SKIP LOCKED),
                    decided AS (
                        SELECT e.id, e.worker_id, e.progressed,
                               j.cancel_requested_at IS NOT NULL AS cancelled,
                               j.attempt >= :ceiling AS exhausted,
                               NOT e.progressed AND j.failures + 1 >= j.max_attempts AS out_of_retries
                        FROM expired e JOIN jobs j ON j.id = e.id)
                    UPDATE jobs j SET
                        failures = j.failures + CASE WHEN d.progressed THEN 0 ELSE 1 END,
                        interruptions = j.interruptions + CASE WHEN d.progressed THEN 1 ELSE 0 END,
                        status = CASE WHEN d.cancelled THEN 'CANCELLED'
                                      WHEN d.exhausted OR d.out_of_retries THEN 'FAILED' ELSE 'QUEUED' END,
                        stage = CASE WHEN d.cancelled THEN 'cancelled'
                                     WHEN d.exhausted OR d.out_of_retries THEN 'failed' ELSE 'queued' END,
                        finished_at = CASE WHEN d.cancelled OR d.exhausted OR d.out_of_retries THEN now() END,
                        error_code = CASE WHEN d.cancelled THEN NULL
                                          WHEN d.exhausted THEN 'ATTEMPTS_EXHAUSTED'
                                          WHEN d.out_of_retries THEN 'LEASE_EXPIRED' END,
                        error_message = CASE WHEN d.cancelled THEN NULL
                                             WHEN d.exhausted THEN 'the job was interrupted on each of its '
                                                  || j.attempt || ' attempts (vlm3d.queue.max-total-attempts)'
                                             WHEN d.out_of_retries THEN 'worker ' || coalesce(d.worker_id, '?')
                                                  || ' stopped renewing its lease before the job checkpointed, on '
                                                  || (j.failures + 1) || ' attempts' END,
                        last_interruption_code = 'LEASE_EXPIRED',
                        last_interruption_message = 'worker ' || coalesce(d.worker_id, '?') || ' stopped renewing its lease'
                            || CASE WHEN d.progressed THEN ' after checkpointing step ' || j.checkpoint_step
                                    ELSE ' without checkpoint progress' END,
                        last_interruption_at = now(),
                        run_at = now(), worker_id = NULL, lease_expires_at = NULL, updated_at = now()
                    FROM decided d WHERE j.id = d.id
                    RETURNING j.id, d.worker_id AS previous_worker, j.status, d.progressed""")
                    .param("ceiling", properties.maxTotalAttempts())
                    .query((rs, i) -> new RescuedJob(rs.getObject("id", UUID.class), rs.getString("previous_worker"),
                            JobStatus.valueOf(rs.getString("status")), rs.getBoolean("progressed")))
                    .list();
            for (RescuedJob job : rescued) {
                notify(channels.changed(), job.id());
                if (job.status() == JobStatus.QUEUED) notify(channels.queued(), job.id());
            }
            return rescued;
        });
    }

    private void fencedUpdate(Lease lease, String assignments, Map<String, Object> params, boolean notifyChange) {
        Integer updated = tx.execute(status -> {
            JdbcClient.StatementSpec spec = jdbc.sql("UPDATE jobs SET " + assignments + ", updated_at = now() WHERE " + FENCE)
                    .param("id", lease.jobId()).param("attempt", lease.attempt());
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
        jdbc.sql("SELECT pg_notify(:c, :p)").param("c", channel).param("p", id.toString()).query().singleRow();
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }

    private static String truncate(String message) {
        if (message == null || message.isBlank()) return "(no message)";
        return message.length() <= 2000 ? message : message.substring(0, 2000);
    }
}
