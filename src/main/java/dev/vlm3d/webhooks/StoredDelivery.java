package dev.vlm3d.webhooks;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.hibernate.annotations.Immutable;

/**
 * A row of the outbox {@code webhook_deliveries} (db/migration/V3__webhooks.sql) as its history shows it, read-only:
 * rows are written by the jobs trigger and moved by the claim and record statements of {@link WebhookDeliveries}.
 * Not mapped: the payload (never shown) and the claim counter, which the attempts number.
 */
@Entity
@Immutable
@Table(name = "webhook_deliveries")
class StoredDelivery {

    @Id
    @Column(name = "id")
    private UUID id;

    @Column(name = "job_id", nullable = false)
    private UUID jobId;

    @Column(name = "event", nullable = false)
    private String event;

    @Column(name = "url", nullable = false)
    private String url;

    @Column(name = "status", nullable = false)
    private String status;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "next_attempt_at", nullable = false)
    private Instant nextAttemptAt;

    @Column(name = "finished_at")
    private Instant finishedAt;

    @Column(name = "last_status_code")
    private Integer lastStatusCode;

    @Column(name = "last_error")
    private String lastError;

    protected StoredDelivery() {}

    UUID id() {
        return id;
    }

    /** The next attempt's time is shown only while one is still to come. */
    WebhookDeliveries.Delivery toDelivery(List<WebhookDeliveries.Attempt> attempts) {
        return new WebhookDeliveries.Delivery(
                id,
                event,
                url,
                status,
                createdAt,
                status.equals("PENDING") ? nextAttemptAt : null,
                finishedAt,
                lastStatusCode,
                lastError,
                List.copyOf(attempts));
    }
}
