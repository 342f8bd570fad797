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

    private static final TypeReference<Map<String, Double>> METRICS = new TypeReference<>() {};

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
     * Stores a new QUEUED job, or returns the earlier job for an idempotent replay. Admission is one statement in
     * its own transaction: it locks the owner's api_keys row only while it runs, checks the row's queued-jobs count
     * (kept by a trigger, db/migration/V2__reliability.sql) against the cap, and inserts. A concurrent submit of
     * the same owner waits for that row and re-checks the count the first one left (PostgreSQL re-evaluates the
     * condition on the updated row), so the cap is exact without serializing whole submissions. The unique index on
     * (owner, idempotency key) decides races between replays.
     *
     * @param maxQueued the owner's cap on QUEUED jobs, or a negative value for no cap
     * @throws IdempotencyConflictException when the key was used with a different request body
     * @throws QueueCapExceededException    when the owner already has {@code maxQueued} queued jobs
     */
    public SubmitResult submit(NewJob job, int maxQueued) {
        if (job.idempotencyKey() != null) {
            Optional<SubmitResult> replay = replay(job);
            if (replay.isPresent()) return replay.get();
        }
        boolean capped = maxQueued >= 0 && job.ownerKeyId() != null;
        String admission = capped
                ? "admitted AS (SELECT id FROM api_keys WHERE id = :owner AND queued_jobs < :cap FOR NO KEY UPDATE)"
                : "admitted AS (SELECT 1)";
        UUID id = UUID.randomUUID();
        NewJob.Webhook webhook = job.webhook();
        Optional<SubmitResult> stored = jdbc.sql("WITH " + admission + """
                , inserted AS (
                    INSERT INTO jobs (id, status, prompt, negative_prompt, seed, preset, options, priority, owner_key_id,
                                      idempotency_key, request_hash, max_attempts, total_steps, kind, depends_on,
                                      webhook_url, webhook_events, webhook_progress_interval_ms,
                                      ttl_seconds)
                    SELECT :id, 'QUEUED', :prompt, :neg, :seed, :preset, CAST(:options AS jsonb), :priority, :owner,
                           :ikey, :hash, :maxAttempts, :steps, :kind, CAST(:deps AS uuid[]),
                           CAST(:webhookUrl AS text), string_to_array(CAST(:webhookEvents AS text), ','),
                           CAST(:webhookProgressMs AS integer), :ttl
                    FROM admitted
                    ON CONFLICT (owner_key_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                    RETURNING *)
                SELECT inserted.*, pg_notify(:channel, inserted.id::text) AS notified,
                       -- the statement's snapshot does not see its own row: these are the jobs ahead of it
                       (""" + aheadUpToBound("now()") + """
                       ) AS queued_ahead
                FROM inserted""")
                .param("id", id)
                .param("prompt", job.prompt())
                .param("neg", job.negativePrompt())
                .param("seed", job.seed())
                .param("preset", job.preset())
                .param("options", rows.write(job.options() == null ? Map.of() : job.options()))
                .param("priority", job.priority())
                .param("owner", job.ownerKeyId())
                .param("ikey", job.idempotencyKey())
                .param("hash", job.requestHash())
                .param("maxAttempts", job.maxAttempts())
                .param("steps", job.totalSteps())
                .param("kind", job.kind())
                .param("deps", uuidArray(job.dependsOn()))
                .param("ttl", job.ttlSeconds(), java.sql.Types.BIGINT)
                .param("cap", maxQueued)
                .param("channel", channels.queued())
                .param("webhookUrl", webhook == null ? null : webhook.url())
                // joined rather than bound as an array (event names hold no comma)
                .param(
                        "webhookEvents",
                        webhook == null || webhook.events() == null ? null : String.join(",", webhook.events()))
                .param(
                        "webhookProgressMs",
                        webhook == null
                                ? null
                                : (int) webhook.progressInterval().toMillis())
                .param("bound", EXACT_AHEAD_BOUND)
                .query((rs, i) -> new SubmitResult(rows.job(rs, i), false, rs.getInt("queued_ahead")))
                .optional();
        if (stored.isPresent()) return stored.get();
        // nothing inserted: another request with this idempotency key won the race, or the cap is reached
        if (job.idempotencyKey() != null) {
            Optional<SubmitResult> replay = replay(job);
            if (replay.isPresent()) return replay.get();
        }
        throw new QueueCapExceededException(maxQueued);
    }

    /**
     * Stores several jobs all or none, in one transaction (a batch, or an evaluation with the generation jobs it
     * waits for): each is admitted as {@link #submit} admits one, so the owner's cap counts every job of the batch,
     * and a batch that does not fit leaves nothing behind. Idempotency keys are not supported here.
     *
     * @throws QueueCapExceededException when the batch does not fit under the owner's cap
     */
    public List<Job> submitAll(List<NewJob> batch, int maxQueued) {
        return submitAll(batch, null, maxQueued);
    }

    /**
     * As {@link #submitAll(List, int)}, then one more job made from the stored ones (e.g. an evaluation that depends
     * on them), in the same transaction; {@code dependent} may be null. The dependent job is the last in the list.
     */
    public List<Job> submitAll(
            List<NewJob> batch, java.util.function.Function<List<Job>, NewJob> dependent, int maxQueued) {
        return tx.execute(status -> {
            List<Job> out = new java.util.ArrayList<>(batch.size() + 1);
            for (NewJob job : batch) {
                out.add(submitFresh(job, maxQueued));
            }
            if (dependent != null) {
                out.add(submitFresh(dependent.apply(List.copyOf(out)), maxQueued));
            }
            return out;
        });
    }

    private Job submitFresh(NewJob job, int maxQueued) {
        if (job.idempotencyKey() != null) {
            throw new IllegalArgumentException("batch submissions carry no idempotency key");
        }
        return submit(job, maxQueued).job();
    }

    /** A PostgreSQL array literal of UUIDs ({@code {a,b}}), cast to uuid[] in SQL. */
    static String uuidArray(List<UUID> ids) {
        StringBuilder s = new StringBuilder("{");
        for (int i = 0; i < ids.size(); i++) {
            s.append(i == 0 ? "" : ",").append(ids.get(i));
        }
        return s.append('}').toString();
    }

    /** The job stored earlier under this request's idempotency key, if any. */
    private Optional<SubmitResult> replay(NewJob job) {
        return jdbc.sql("SELECT * FROM jobs WHERE owner_key_id IS NOT DISTINCT FROM :o AND idempotency_key = :k")
                .param("o", job.ownerKeyId())
                .param("k", job.idempotencyKey())
                .query((rs, i) -> {
                    if (!Arrays.equals(rs.getBytes("request_hash"), job.requestHash())) {
                        throw new IdempotencyConflictException(rs.getObject("id", UUID.class));
                    }
                    return new SubmitResult(rows.job(rs, i), true);
                })
                .optional();
    }

    public Optional<Job> find(UUID id, OwnerScope scope) {
        return jdbc.sql("SELECT * FROM jobs WHERE id = :id")
                .param("id", id)
                .query(rows::job)
                .optional()
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
        if (after != null)
            spec = spec.param("afterCreated", Timestamp.from(after.createdAt())).param("afterId", after.id());
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
            return jdbc.sql("SELECT * FROM jobs WHERE id = :id")
                    .param("id", id)
                    .query(rows::job)
                    .optional();
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
            int deleted =
                    jdbc.sql("DELETE FROM jobs WHERE id = :id").param("id", id).update();
            notify(channels.changed(), id);
            return deleted == 1;
        }));
    }

    /**
     * Jobs ahead of a new one that {@link #submit} counts exactly (in the admission statement, a walk of at most this
     * many entries of the claim index); a submission with more ahead gets an estimate (dev.vlm3d.jobs.QueueEstimates).
     */
    public static final int EXACT_AHEAD_BOUND = 100;

    /**
     * Counts the QUEUED jobs claimed before a job of priority {@code :priority} created at {@code created} with id
     * {@code :id}, stopping at {@code :bound}: two range scans of jobs_claim_idx (higher priorities; the same
     * priority, created earlier) of at most {@code :bound} entries each, so the cost does not grow with the queue.
     */
    private static String aheadUpToBound(String created) {
        return """
                SELECT count(*) FROM (
                    (SELECT 1 FROM jobs WHERE status = 'QUEUED' AND priority > :priority
                     ORDER BY priority DESC, created_at, id LIMIT :bound)
                    UNION ALL
                    (SELECT 1 FROM jobs WHERE status = 'QUEUED' AND priority = :priority
                         AND (created_at, id) < (%s, :id) AND id <> :id
                     ORDER BY priority DESC, created_at, id LIMIT :bound)
                    LIMIT :bound) ahead""".formatted(created);
    }

    /** Number of QUEUED jobs ahead of this one counted up to {@code bound}: {@code bound} means "at least bound". */
    public int queuePositionUpTo(Job job, int bound) {
        return jdbc.sql(aheadUpToBound(":created"))
                .param("id", job.id())
                .param("priority", job.priority())
                .param("created", Timestamp.from(job.createdAt()))
                .param("bound", bound)
                .query(Integer.class)
                .single();
    }

    /** QUEUED jobs per priority (for {@link QueueEstimates}): one pass over jobs_claim_idx. */
    public java.util.NavigableMap<Integer, Long> queuedByPriority() {
        java.util.TreeMap<Integer, Long> counts = new java.util.TreeMap<>();
        jdbc.sql("SELECT priority, count(*) AS n FROM jobs WHERE status = 'QUEUED' GROUP BY priority")
                .query((rs, i) -> counts.put(rs.getInt("priority"), rs.getLong("n")))
                .list();
        return counts;
    }

    /** Number of QUEUED jobs that will be claimed before this one (0 = next). */
    public int queuePosition(Job job) {
        return jdbc.sql("""
                SELECT count(*) FROM jobs
                WHERE status = 'QUEUED' AND id <> :id
                  AND (priority > :priority OR (priority = :priority AND (created_at, id) < (:created, :id)))""")
                .param("id", job.id())
                .param("priority", job.priority())
                .param("created", Timestamp.from(job.createdAt()))
                .query(Integer.class)
                .single();
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
                .query((rs, i) -> counts.put(JobStatus.valueOf(rs.getString("status")), rs.getLong("n")))
                .list();
        return counts;
    }

    public int countRunningWorkers() {
        return jdbc.sql("SELECT count(DISTINCT worker_id) FROM jobs WHERE status = 'RUNNING'")
                .query(Integer.class)
                .single();
    }

    /**
     * Mean seconds between the recorded steps of one attempt of a job (for the ETA of a running job); empty until the
     * attempt has recorded two steps.
     */
    public Optional<Double> meanStepSeconds(UUID jobId, int attempt) {
        return jdbc.sql("""
                SELECT EXTRACT(EPOCH FROM max(recorded_at) - min(recorded_at)) / nullif(count(*) - 1, 0)
                FROM job_steps WHERE job_id = :id AND attempt = :attempt""")
                .param("id", jobId)
                .param("attempt", attempt)
                .query(Double.class)
                .optional();
    }

    /** The metric series of a job, in step order. */
    public List<StepRecord> steps(UUID jobId) {
        return jdbc.sql(
                        "SELECT step, attempt, stage, metrics, recorded_at FROM job_steps WHERE job_id = :id ORDER BY step")
                .param("id", jobId)
                .query((rs, i) -> new StepRecord(
                        rs.getInt("step"),
                        rs.getInt("attempt"),
                        rs.getString("stage"),
                        json.readValue(rs.getString("metrics"), METRICS),
                        JobRows.instant(rs, "recorded_at")))
                .list();
    }

    private void notify(String channel, UUID id) {
        jdbc.sql("SELECT pg_notify(:c, :p)")
                .param("c", channel)
                .param("p", id.toString())
                .query()
                .singleRow();
    }

    private record Cursor(Instant createdAt, UUID id) {

        String encode() {
            long micros = createdAt.getEpochSecond() * 1_000_000L + createdAt.getNano() / 1_000;
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString((micros + "/" + id).getBytes(StandardCharsets.UTF_8));
        }

        /** Latest creation time a cursor may carry: far beyond any real row, well inside PostgreSQL's range. */
        private static final long MAX_MICROS =
                Instant.parse("9999-12-31T23:59:59Z").getEpochSecond() * 1_000_000L;

        /**
         * Accepts exactly what {@link #encode()} produces: a time between the epoch and year 9999 and a canonical
         * UUID, encoded the same way (so no two spellings of one cursor exist and no value reaches the database
         * that it cannot store).
         */
        static Cursor decode(String text) {
            try {
                if (text.isEmpty() || text.length() > 128) throw new IllegalArgumentException("length");
                String raw = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
                int slash = raw.indexOf('/');
                String microsText = raw.substring(0, slash);
                if (!microsText.matches("0|[1-9][0-9]{0,17}")) throw new IllegalArgumentException("time");
                long micros = Long.parseLong(microsText);
                if (micros > MAX_MICROS) throw new IllegalArgumentException("time out of range");
                String idText = raw.substring(slash + 1);
                UUID id = UUID.fromString(idText);
                if (!id.toString().equals(idText)) throw new IllegalArgumentException("uuid");
                Cursor cursor =
                        new Cursor(Instant.ofEpochSecond(micros / 1_000_000L, (micros % 1_000_000L) * 1_000L), id);
                if (!cursor.encode().equals(text)) throw new IllegalArgumentException("not canonical");
                return cursor;
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
