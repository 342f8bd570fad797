package dev.vlm3d.webhooks;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The outbox tables (db/migration/V3__webhooks.sql): claiming due deliveries, recording attempts, and the history
 * a job's owner sees. Rows are written by the jobs trigger, never here. The claim and the record are the package's
 * only SQL, kept native because the outbox is a queue: the claim takes rows with {@code FOR UPDATE SKIP LOCKED} and
 * moves them in the same statement, the record is fenced by the claim's attempt number, and both decide in one
 * statement what a read followed by an entity write would leave open to another replica in between. The history
 * and the pending count are read through {@link WebhookHistory}.
 */
public class WebhookDeliveries {

    private final JdbcClient jdbc;
    private final WebhookHistory history;

    public WebhookDeliveries(JdbcClient jdbc, WebhookHistory history) {
        this.jdbc = jdbc;
        this.history = history;
    }

    /** A claimed delivery with what it takes to send it: the body and the secrets that sign it now. */
    public record Claimed(
            UUID id,
            UUID jobId,
            String event,
            String url,
            String payload,
            int attempt,
            Instant createdAt,
            List<String> secrets) {}

    /** What one attempt came to. {@code statusCode} is null when no response came back. */
    public record Outcome(Instant startedAt, long durationMillis, Integer statusCode, String error) {

        public boolean delivered() {
            return statusCode != null && statusCode >= 200 && statusCode <= 299;
        }
    }

    /**
     * One delivery with its recorded attempts, as GET /jobs/{id}/webhooks shows it. An attempt that was in flight
     * on a replica that died is not among them (nothing recorded it), but its number is not reused.
     */
    public record Delivery(
            UUID id,
            String event,
            String url,
            String status,
            Instant createdAt,
            Instant nextAttemptAt,
            Instant finishedAt,
            Integer lastStatusCode,
            String lastError,
            List<Attempt> attempts) {}

    public record Attempt(
            int attempt, String replica, Instant startedAt, long durationMs, Integer statusCode, String error) {}

    /**
     * Claims up to {@code limit} due deliveries in one autocommit statement: SKIP LOCKED passes over rows another
     * replica is claiming, and moving next_attempt_at past the claim timeout hides the row from every replica until
     * this attempt is recorded, or, if this replica dies, until the claim times out and another replica takes it.
     * The secrets are read in the same statement: the current one, and the previous one while its overlap lasts.
     */
    public List<Claimed> claim(int limit, Duration claimTimeout) {
        return jdbc.sql("""
                WITH due AS (
                    SELECT id FROM webhook_deliveries
                    WHERE status = 'PENDING' AND next_attempt_at <= now()
                    ORDER BY next_attempt_at
                    LIMIT :limit
                    FOR UPDATE SKIP LOCKED)
                UPDATE webhook_deliveries d SET attempts = d.attempts + 1,
                    next_attempt_at = now() + make_interval(secs => :claimSeconds)
                FROM due WHERE d.id = due.id
                RETURNING d.id, d.job_id, d.event, d.url, d.payload, d.attempts, d.created_at,
                    (SELECT k.webhook_secret FROM api_keys k WHERE k.id = d.owner_key_id) AS secret,
                    (SELECT k.previous_webhook_secret FROM api_keys k WHERE k.id = d.owner_key_id
                        AND k.previous_webhook_secret_expires_at > now()) AS previous_secret""")
                .param("limit", limit)
                .param("claimSeconds", claimTimeout.toMillis() / 1000.0)
                .query((rs, i) -> {
                    List<String> secrets = new ArrayList<>(2);
                    if (rs.getString("secret") != null) secrets.add(rs.getString("secret"));
                    if (rs.getString("previous_secret") != null) secrets.add(rs.getString("previous_secret"));
                    return new Claimed(
                            rs.getObject("id", UUID.class),
                            rs.getObject("job_id", UUID.class),
                            rs.getString("event"),
                            rs.getString("url"),
                            rs.getString("payload"),
                            rs.getInt("attempts"),
                            instant(rs, "created_at"),
                            List.copyOf(secrets));
                })
                .list();
    }

    /**
     * Records an attempt and decides the delivery's next state in one statement: DELIVERED on a 2xx; otherwise
     * PENDING again after {@code retryDelay}, or FAILED when {@code giveUp} or when that retry would fall after
     * the retry window. Fenced by the attempt number: if this claim timed out and another replica claimed the row
     * since, only the attempt is recorded and the newer claim decides.
     *
     * @return the delivery's status after this attempt, or null when the claim had been taken over
     */
    public String record(
            Claimed claimed,
            Outcome outcome,
            String replica,
            Duration retryDelay,
            Duration retryWindow,
            boolean giveUp) {
        return jdbc.sql("""
                WITH attempt AS (
                    INSERT INTO webhook_attempts (delivery_id, attempt, replica, started_at, duration_ms, status_code, error)
                    VALUES (:id, :attempt, :replica, :startedAt, :durationMs, :statusCode, :error)
                    ON CONFLICT DO NOTHING),
                decided AS (
                    SELECT CASE WHEN :delivered THEN 'DELIVERED'
                                WHEN :giveUp OR created_at + make_interval(secs => :windowSeconds)
                                     < now() + make_interval(secs => :delaySeconds) THEN 'FAILED'
                                ELSE 'PENDING' END AS status
                    FROM webhook_deliveries WHERE id = :id)
                UPDATE webhook_deliveries d SET
                    status = decided.status,
                    next_attempt_at = CASE WHEN decided.status = 'PENDING'
                                           THEN now() + make_interval(secs => :delaySeconds) ELSE d.next_attempt_at END,
                    finished_at = CASE WHEN decided.status = 'PENDING' THEN NULL ELSE now() END,
                    last_status_code = :statusCode, last_error = :error
                FROM decided
                WHERE d.id = :id AND d.attempts = :attempt AND d.status = 'PENDING'
                RETURNING d.status""")
                .param("id", claimed.id())
                .param("attempt", claimed.attempt())
                .param("replica", replica)
                .param("startedAt", OffsetDateTime.ofInstant(outcome.startedAt(), java.time.ZoneOffset.UTC))
                .param("durationMs", (int) Math.min(Integer.MAX_VALUE, outcome.durationMillis()))
                .param("statusCode", outcome.statusCode())
                .param("error", outcome.error())
                .param("delivered", outcome.delivered())
                .param("giveUp", giveUp)
                .param("windowSeconds", retryWindow.toMillis() / 1000.0)
                .param("delaySeconds", retryDelay.toMillis() / 1000.0)
                .query(String.class)
                .optional()
                .orElse(null);
    }

    public long countPending() {
        return history.countByStatus("PENDING");
    }

    /** Every delivery of a job, oldest first, each with its attempts. */
    public List<Delivery> forJob(UUID jobId) {
        Map<UUID, List<Attempt>> attempts = new LinkedHashMap<>();
        for (StoredAttempt attempt : history.attemptsOfJob(jobId)) {
            attempts.computeIfAbsent(attempt.deliveryId(), k -> new ArrayList<>())
                    .add(attempt.toAttempt());
        }
        return history.findByJobIdOrderByCreatedAtAscIdAsc(jobId).stream()
                .map(d -> d.toDelivery(attempts.getOrDefault(d.id(), List.of())))
                .toList();
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
