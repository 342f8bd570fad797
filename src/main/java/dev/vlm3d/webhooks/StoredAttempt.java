package dev.vlm3d.webhooks;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import org.hibernate.annotations.Immutable;

/**
 * A row of {@code webhook_attempts} (db/migration/V3__webhooks.sql), read-only: {@link WebhookDeliveries#record}
 * writes it in the statement that decides the delivery's next state.
 */
@Entity
@Immutable
@Table(name = "webhook_attempts")
class StoredAttempt {

    /** The primary key (delivery_id, attempt). */
    @Embeddable
    static class Key implements Serializable {

        @Column(name = "delivery_id", nullable = false)
        private UUID deliveryId;

        @Column(name = "attempt", nullable = false)
        private int attempt;

        protected Key() {}

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && deliveryId.equals(k.deliveryId) && attempt == k.attempt;
        }

        @Override
        public int hashCode() {
            return Objects.hash(deliveryId, attempt);
        }
    }

    @EmbeddedId
    private Key id;

    @Column(name = "replica", nullable = false)
    private String replica;

    @Column(name = "started_at", nullable = false)
    private Instant startedAt;

    @Column(name = "duration_ms", nullable = false)
    private int durationMs;

    @Column(name = "status_code")
    private Integer statusCode;

    @Column(name = "error")
    private String error;

    protected StoredAttempt() {}

    UUID deliveryId() {
        return id.deliveryId;
    }

    WebhookDeliveries.Attempt toAttempt() {
        return new WebhookDeliveries.Attempt(id.attempt, replica, startedAt, durationMs, statusCode, error);
    }
}
