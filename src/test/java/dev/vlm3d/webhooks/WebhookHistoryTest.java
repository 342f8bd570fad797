package dev.vlm3d.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.testsupport.QueueFixture;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.hibernate.SessionFactory;
import org.hibernate.stat.Statistics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The outbox history read through {@link WebhookHistory}, against the migrated schema of a real PostgreSQL. */
class WebhookHistoryTest {

    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05.123456Z");

    private static QueueFixture db;
    private static WebhookDeliveries deliveries;
    private static Statistics statistics;

    @BeforeAll
    static void setUp() {
        db = new QueueFixture(WebhookHistoryTest.class, QueueFixture.fastProperties(), 4);
        deliveries = new WebhookDeliveries(db.jdbc, db.repositories.get(WebhookHistory.class));
        statistics = db.repositories
                .entityManagerFactory()
                .unwrap(SessionFactory.class)
                .getStatistics();
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        db.jdbc.sql("TRUNCATE webhook_deliveries CASCADE").update();
        statistics.clear();
    }

    private static OffsetDateTime at(long seconds) {
        return OffsetDateTime.ofInstant(T0.plusSeconds(seconds), ZoneOffset.UTC);
    }

    private UUID delivery(
            UUID job,
            String event,
            String status,
            long createdSecond,
            long nextSecond,
            Long finishedSecond,
            Integer lastStatus,
            String lastError) {
        return delivery(
                UUID.randomUUID(),
                job,
                event,
                status,
                createdSecond,
                nextSecond,
                finishedSecond,
                lastStatus,
                lastError);
    }

    private UUID delivery(
            UUID id,
            UUID job,
            String event,
            String status,
            long createdSecond,
            long nextSecond,
            Long finishedSecond,
            Integer lastStatus,
            String lastError) {
        db.jdbc
                .sql("""
                INSERT INTO webhook_deliveries (id, job_id, event, url, payload, status, attempts, next_attempt_at,
                                                created_at, finished_at, last_status_code, last_error)
                VALUES (:id, :job, :event, 'https://hooks.example.com/in', '{}', :status, 0, :next, :created, :finished,
                        :code, :error)""")
                .param("id", id)
                .param("job", job)
                .param("event", event)
                .param("status", status)
                .param("next", at(nextSecond))
                .param("created", at(createdSecond))
                .param(
                        "finished",
                        finishedSecond == null ? null : at(finishedSecond),
                        java.sql.Types.TIMESTAMP_WITH_TIMEZONE)
                .param("code", lastStatus, java.sql.Types.INTEGER)
                .param("error", lastError)
                .update();
        return id;
    }

    private void attempt(UUID delivery, int attempt, long startedSecond, int durationMs, Integer status, String error) {
        db.jdbc
                .sql("""
                INSERT INTO webhook_attempts (delivery_id, attempt, replica, started_at, duration_ms, status_code, error)
                VALUES (:id, :attempt, 'host/1', :started, :duration, :code, :error)""")
                .param("id", delivery)
                .param("attempt", attempt)
                .param("started", at(startedSecond))
                .param("duration", durationMs)
                .param("code", status, java.sql.Types.INTEGER)
                .param("error", error)
                .update();
    }

    @Test
    void aJobsDeliveriesComeOldestFirstWithTheirAttemptsInOrder() {
        UUID job = UUID.randomUUID();
        UUID started = delivery(job, "started", "DELIVERED", 0, 1, 2L, 200, null);
        UUID progress = delivery(job, "progress", "PENDING", 5, 40, null, 500, "HTTP 500");
        UUID other = delivery(UUID.randomUUID(), "started", "FAILED", 1, 1, 3L, null, "timeout");
        attempt(progress, 2, 20, 30, 500, "HTTP 500");
        attempt(started, 1, 1, 12, 200, null);
        attempt(progress, 1, 6, 25, null, "connection refused");
        attempt(other, 1, 2, 10_000, null, "timeout");
        statistics.clear();

        List<WebhookDeliveries.Delivery> history = deliveries.forJob(job);

        assertThat(statistics.getPrepareStatementCount())
                .as("the attempts, then the deliveries")
                .isEqualTo(2);
        assertThat(statistics.getTransactionCount()).isZero();
        assertThat(history).extracting(WebhookDeliveries.Delivery::id).containsExactly(started, progress);

        WebhookDeliveries.Delivery first = history.get(0);
        assertThat(first.event()).isEqualTo("started");
        assertThat(first.url()).isEqualTo("https://hooks.example.com/in");
        assertThat(first.status()).isEqualTo("DELIVERED");
        assertThat(first.createdAt()).isEqualTo(T0);
        assertThat(first.nextAttemptAt()).as("none to come").isNull();
        assertThat(first.finishedAt()).isEqualTo(T0.plusSeconds(2));
        assertThat(first.lastStatusCode()).isEqualTo(200);
        assertThat(first.attempts())
                .containsExactly(new WebhookDeliveries.Attempt(1, "host/1", T0.plusSeconds(1), 12, 200, null));

        WebhookDeliveries.Delivery second = history.get(1);
        assertThat(second.nextAttemptAt()).isEqualTo(T0.plusSeconds(40));
        assertThat(second.finishedAt()).isNull();
        assertThat(second.lastError()).isEqualTo("HTTP 500");
        assertThat(second.attempts())
                .extracting(WebhookDeliveries.Attempt::attempt)
                .containsExactly(1, 2);
        assertThat(second.attempts().get(0).statusCode()).isNull();
        assertThat(second.attempts().get(0).error()).isEqualTo("connection refused");

        assertThat(deliveries.forJob(UUID.randomUUID())).isEmpty();
    }

    @Test
    void deliveriesCreatedAtOnceAreOrderedById() {
        UUID job = UUID.randomUUID();
        // written high id first; the ids differ in the top bit, where PostgreSQL's unsigned byte order and
        // UUID.compareTo's signed one disagree, so the test pins the order the database gives
        UUID high = delivery(
                UUID.fromString("80000000-0000-4000-8000-000000000000"),
                job,
                "started",
                "PENDING",
                7,
                7,
                null,
                null,
                null);
        UUID low = delivery(
                UUID.fromString("00000000-0000-4000-8000-000000000001"),
                job,
                "progress",
                "PENDING",
                7,
                7,
                null,
                null,
                null);

        assertThat(deliveries.forJob(job))
                .extracting(WebhookDeliveries.Delivery::id)
                .containsExactly(low, high);
    }

    @Test
    void thePendingCountIsOfPendingRowsOnly() {
        UUID job = UUID.randomUUID();
        delivery(job, "started", "PENDING", 0, 0, null, null, null);
        delivery(job, "progress", "PENDING", 1, 1, null, null, null);
        delivery(job, "succeeded", "DELIVERED", 2, 2, 3L, 204, null);
        delivery(job, "failed", "FAILED", 3, 3, 4L, null, "timeout");

        assertThat(deliveries.countPending()).isEqualTo(2);
    }
}
