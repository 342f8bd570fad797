package dev.vlm3d.webhooks;

import java.util.List;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Reads of the outbox for GET /jobs/{id}/webhooks and the pending gauge, each one autocommit SELECT. The claim and
 * record statements are not here: see {@link WebhookDeliveries}.
 */
public interface WebhookHistory extends JpaRepository<StoredDelivery, UUID> {

    @Transactional(propagation = Propagation.SUPPORTS)
    List<StoredDelivery> findByJobIdOrderByCreatedAtAscIdAsc(UUID jobId);

    @Transactional(propagation = Propagation.SUPPORTS)
    @Query("""
            SELECT a FROM StoredAttempt a
            WHERE a.id.deliveryId IN (SELECT d.id FROM StoredDelivery d WHERE d.jobId = :jobId)
            ORDER BY a.id.deliveryId, a.id.attempt""")
    List<StoredAttempt> attemptsOfJob(UUID jobId);

    @Transactional(propagation = Propagation.SUPPORTS)
    long countByStatus(String status);
}
