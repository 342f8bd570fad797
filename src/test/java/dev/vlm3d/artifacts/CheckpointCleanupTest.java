package dev.vlm3d.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.jobs.ClaimedJob;
import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobStatus;
import dev.vlm3d.jobs.LeaseRescuer;
import dev.vlm3d.jobs.OwnerScope;
import dev.vlm3d.testsupport.QueueFixture;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Finished jobs keep no checkpoint, however they finished, unless the retention setting keeps a FAILED one's. */
class CheckpointCleanupTest {

    private static QueueFixture db;

    @BeforeAll
    static void setUp() {
        db = new QueueFixture(CheckpointCleanupTest.class, QueueFixture.fastProperties(), 4);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clear() {
        db.clear();
    }

    private int checkpoints(UUID job) {
        return db.artifacts.list(job, ArtifactKind.CHECKPOINT).size();
    }

    /** A job that checkpointed and then lost its lease on its last counted attempt: the rescuer fails it. */
    private Job failedByTheRescuer() throws Exception {
        Job job = db.submit("fails in the rescuer", 0, 1, 100);
        ClaimedJob claimed = db.queue.claim("w").orElseThrow();
        db.artifacts.put(
                job.id(),
                claimed.lease().attempt(),
                ArtifactKind.CHECKPOINT,
                "state",
                "application/octet-stream",
                new byte[4096]);
        db.expireLease(job.id());
        return job;
    }

    @Test
    void theRescuerPassDeletesTheCheckpointOfAJobItFailed() throws Exception {
        Job job = failedByTheRescuer();
        LeaseRescuer rescuer = new LeaseRescuer(
                db.queue, Duration.ofSeconds(1), new CheckpointCleanup(db.jdbc, db.artifacts, false)::deleteFinished);
        assertThat(rescuer.rescueOnce()).extracting(r -> r.status()).containsExactly(JobStatus.FAILED);
        assertThat(checkpoints(job.id())).isZero();
    }

    @Test
    void aCancelledQueuedJobThatHadRunLosesItsCheckpointToo() throws Exception {
        Job job = db.submit("cancelled after a shutdown", 0, 3, 100);
        ClaimedJob claimed = db.queue.claim("w").orElseThrow();
        db.artifacts.put(
                job.id(),
                claimed.lease().attempt(),
                ArtifactKind.CHECKPOINT,
                "state",
                "application/octet-stream",
                new byte[16]);
        db.queue.release(claimed.lease());
        db.repository.requestCancel(job.id(), OwnerScope.everyone());
        Job running = db.submit("still running", 0, 3, 100);
        ClaimedJob other = db.queue.claim("w2").orElseThrow();
        db.artifacts.put(
                running.id(),
                other.lease().attempt(),
                ArtifactKind.CHECKPOINT,
                "state",
                "application/octet-stream",
                new byte[16]);

        assertThat(new CheckpointCleanup(db.jdbc, db.artifacts, false).deleteFinished())
                .isEqualTo(1);
        assertThat(checkpoints(job.id())).isZero();
        assertThat(checkpoints(running.id()))
                .as("a running job keeps its checkpoint")
                .isEqualTo(1);
    }

    @Test
    void retentionKeepsTheLastCheckpointOfAFailedJobOnly() throws Exception {
        Job failed = failedByTheRescuer();
        db.queue.rescueExpiredLeases();
        Job done = db.submit("done", 0, 3, 100);
        ClaimedJob claimed = db.queue.claim("w").orElseThrow();
        db.artifacts.put(
                done.id(),
                claimed.lease().attempt(),
                ArtifactKind.CHECKPOINT,
                "state",
                "application/octet-stream",
                new byte[16]);
        db.queue.complete(claimed.lease());

        new CheckpointCleanup(db.jdbc, db.artifacts, true).deleteFinished();
        assertThat(checkpoints(failed.id())).isEqualTo(1);
        assertThat(checkpoints(done.id())).isZero();
    }
}
