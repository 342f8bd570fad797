package dev.vlm3d.jobs;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The client side of the queue: submit, read, list, cancel and delete jobs, always within an {@link OwnerScope}.
 * Worker-side transitions live in {@link JobQueue}.
 */
public class JobRepository {

    private static final TypeReference<Map<String, Double>> METRICS = new TypeReference<>() { };

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final JobRows rows;
    private final JsonMapper json;
    private final JobChannels channels;

    public JobRepository(JdbcClient jdbc, TransactionTemplate tx, JsonMapper json, JobChannels channels) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.json = json;
        this.rows = new JobRows(json);
        this.channels = channels;
    }

    /**
     * Stores a new QUEUED job, or returns the earlier job for an idempotent replay. Per owner, submissions are
     * serialized by a transaction-scoped advisory lock so the queued-jobs cap and the idempotency check cannot
     * race; the unique index on (owner, idempotency key) backs the latter up.
     *
     * @param maxQueued the owner's cap on QUEUED jobs, or a negative value for no cap
     * @throws IdempotencyConflictException when the key was used with a different request body
     * @throws QueueCapExceededException    when the owner already has {@code maxQueued} queued jobs
     */
    public SubmitResult submit(NewJob job, int maxQueued) {
        return tx.execute(status -> {
            String ownerLock = "vlm3d-submit:" + job.ownerKeyId();
            jdbc.sql("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))").param("k", ownerLock).query().singleRow();
            if (job.idempotencyKey() != null) {
                Optional<Job> existing = jdbc.sql("SELECT * FROM jobs WHERE owner_key_id IS NOT DISTINCT FROM :o AND idempotency_key = :k")
                        .param("o", job.ownerKeyId()).param("k", job.idempotencyKey())
                        .query(rows::job).optional();
                if (existing.isPresent()) {
                    byte[] storedHash = jdbc.sql("SELECT request_hash FROM jobs WHERE id = :id")
                            .param("id", existing.get().id()).query(byte[].class).single();
                    if (!Arrays.equals(storedHash, job.requestHash())) {
                        throw new IdempotencyConflictException(existing.get().id());
                    }
                    return new SubmitResult(existing.get(), true);
                }
            }
            if (maxQueued >= 0) {
                int queued = jdbc.sql("SELECT count(*) FROM jobs WHERE owner_key_id IS NOT DISTINCT FROM :o AND status = 'QUEUED'")
                        .param("o", job.ownerKeyId()).query(Integer.class).single();
                if (queued >= maxQueued) {
                    throw new QueueCapExceededException(maxQueued);
                }
            }
            UUID id = UUID.randomUUID();
            Job stored = jdbc.sql("""
                    INSERT INTO jobs (id, status, prompt, negative_prompt, seed, preset, options, priority, owner_key_id,
                                      idempotency_key, request_hash, max_attempts, total_steps)
                    VALUES (:id, 'QUEUED', :prompt, :neg, :seed, :preset, CAST(:options AS jsonb), :priority, :owner,
                            :ikey, :hash, :maxAttempts, :steps)
                    RETURNING *""")
                    .param("id", id).param("prompt", job.prompt()).param("neg", job.negativePrompt())
                    .param("seed", job.seed()).param("preset", job.preset())
                    .param("options", rows.write(job.options() == null ? Map.of() : job.options()))
                    .param("priority", job.priority()).param("owner", job.ownerKeyId())
                    .param("ikey", job.idempotencyKey()).param("hash", job.requestHash())
                    .param("maxAttempts", job.maxAttempts()).param("steps", job.totalSteps())
                    .query(rows::job).single();
            notify(channels.queued(), id);
            return new SubmitResult(stored, false);
        });
    }

    public Optional<Job> find(UUID id, OwnerScope scope) {
        return jdbc.sql("SELECT * FROM jobs WHERE id = :id").param("id", id).query(rows::job).optional()
                .filter(scope::sees);
    }

    /** Jobs newest first, keyset-paginated on (created_at, id); an opaque cursor marks the last row seen. */
    public JobPage list(OwnerScope scope, JobStatus status, String cursor, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM jobs WHERE true");
        JdbcClient.StatementSpec spec;
        Cursor after = cursor == null ? null : Cursor.decode(cursor);
        if (!scope.all()) sql.append(" AND owner_key_id = :owner");
        if (status != null) sql.append(" AND status = :status");
        if (after != null) sql.append(" AND (created_at, id) < (:afterCreated, :afterId)");
        sql.append(" ORDER BY created_at DESC, id DESC LIMIT :limit");
        spec = jdbc.sql(sql.toString());
        if (!scope.all()) spec = spec.param("owner", scope.ownerKeyId());
        if (status != null) spec = spec.param("status", status.name());
        if (after != null) spec = spec.param("afterCreated", Timestamp.from(after.createdAt())).param("afterId", after.id());
        List<Job> found = spec.param("limit", limit + 1).query(rows::job).list();
        if (found.size() <= limit) {
            return new JobPage(found, null);
        }
        List<Job> page = found.subList(0, limit);
        Job last = page.get(limit - 1);
        return new JobPage(List.copyOf(page), new Cursor(last.createdAt(), last.id()).encode());
    }

    /**
     * Requests cancellation. A QUEUED job becomes CANCELLED at once; a RUNNING job keeps running with
     * cancel_requested_at set, and its worker stops at its next step. If a worker is claiming the row at this very
     * moment, the UPDATE waits for the claim and re-checks the row, so the job ends up RUNNING with the request set.
     */
    public Optional<Job> requestCancel(UUID id, OwnerScope scope) {
        if (find(id, scope).isEmpty()) {
            return Optional.empty();
        }
        return tx.execute(status -> {
            jdbc.sql("""
                    UPDATE jobs SET
                        status = CASE WHEN status = 'QUEUED' THEN 'CANCELLED' ELSE status END,
                        stage = CASE WHEN status = 'QUEUED' THEN 'cancelled' ELSE stage END,
                        finished_at = CASE WHEN status = 'QUEUED' THEN now() ELSE finished_at END,
                        cancel_requested_at = coalesce(cancel_requested_at, now()),
                        updated_at = now()
                    WHERE id = :id AND status IN ('QUEUED', 'RUNNING')""").param("id", id).update();
            notify(channels.changed(), id);
            return jdbc.sql("SELECT * FROM jobs WHERE id = :id").param("id", id).query(rows::job).optional();
        });
    }

    /**
     * Deletes a job with its steps and artifacts rows. A running job is deleted too: its worker's next fenced write
     * misses and it stops.
     */
    public boolean delete(UUID id, OwnerScope scope) {
        if (find(id, scope).isEmpty()) {
            return false;
        }
        return Boolean.TRUE.equals(tx.execute(status -> {
            int deleted = jdbc.sql("DELETE FROM jobs WHERE id = :id").param("id", id).update();
            notify(channels.changed(), id);
            return deleted == 1;
        }));
    }

    /** Number of QUEUED jobs that will be claimed before this one (0 = next). */
    public int queuePosition(Job job) {
        return jdbc.sql("""
                SELECT count(*) FROM jobs
                WHERE status = 'QUEUED' AND id <> :id
                  AND (priority > :priority OR (priority = :priority AND (created_at, id) < (:created, :id)))""")
                .param("id", job.id()).param("priority", job.priority())
                .param("created", Timestamp.from(job.createdAt()))
                .query(Integer.class).single();
    }

    /** Mean run time of the latest successful jobs, for ETA estimates; empty until one job has succeeded. */
    public Optional<Duration> recentMeanRunTime() {
        Double seconds = jdbc.sql("""
                SELECT avg(EXTRACT(EPOCH FROM finished_at - started_at)) FROM (
                    SELECT started_at, finished_at FROM jobs WHERE status = 'SUCCEEDED' AND started_at IS NOT NULL
                    ORDER BY finished_at DESC LIMIT 20) recent""").query(Double.class).optional().orElse(null);
        return seconds == null ? Optional.empty() : Optional.of(Duration.ofMillis((long) (seconds * 1000)));
    }

    public Map<JobStatus, Long> countByStatus() {
        Map<JobStatus, Long> counts = new EnumMap<>(JobStatus.class);
        for (JobStatus s : JobStatus.values()) counts.put(s, 0L);
        jdbc.sql("SELECT status, count(*) AS n FROM jobs GROUP BY status")
                .query((rs, i) -> counts.put(JobStatus.valueOf(rs.getString("status")), rs.getLong("n"))).list();
        return counts;
    }

    public int countRunningWorkers() {
        return jdbc.sql("SELECT count(DISTINCT worker_id) FROM jobs WHERE status = 'RUNNING'").query(Integer.class).single();
    }

    /** The metric series of a job, in step order. */
    public List<StepRecord> steps(UUID jobId) {
        return jdbc.sql("SELECT step, attempt, stage, metrics, recorded_at FROM job_steps WHERE job_id = :id ORDER BY step")
                .param("id", jobId)
                .query((rs, i) -> new StepRecord(rs.getInt("step"), rs.getInt("attempt"), rs.getString("stage"),
                        json.readValue(rs.getString("metrics"), METRICS), JobRows.instant(rs, "recorded_at")))
                .list();
    }

    private void notify(String channel, UUID id) {
        jdbc.sql("SELECT pg_notify(:c, :p)").param("c", channel).param("p", id.toString()).query().singleRow();
    }

    private record Cursor(Instant createdAt, UUID id) {

        String encode() {
            long micros = createdAt.getEpochSecond() * 1_000_000L + createdAt.getNano() / 1_000;
            return Base64.getUrlEncoder().withoutPadding()
                    .encodeToString((micros + "/" + id).getBytes(StandardCharsets.UTF_8));
        }

        static Cursor decode(String text) {
            try {
                String raw = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
                int slash = raw.indexOf('/');
                long micros = Long.parseLong(raw.substring(0, slash));
                Instant at = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
                return new Cursor(at, UUID.fromString(raw.substring(slash + 1)));
            } catch (RuntimeException e) {
                throw new InvalidCursorException(text);
            }
        }
    }

    /** The cursor does not come from this service. */
    public static class InvalidCursorException extends RuntimeException {
        public InvalidCursorException(String cursor) {
            super("invalid cursor: " + cursor);
        }
    }
}
