package dev.vlm3d.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.testsupport.QueueFixture;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which lost attempts count against max_attempts, the ceiling on all attempts, and what the job records. */
class RetryBudgetTest {

    private static final int CEILING = 5;
    private static QueueFixture db;

    @BeforeAll
    static void setUp() {
        QueueProperties fast = QueueFixture.fastProperties();
        db = new QueueFixture(
                RetryBudgetTest.class,
                new QueueProperties(
                        fast.leaseDuration(),
                        fast.heartbeatInterval(),
                        fast.pollInterval(),
                        fast.rescueInterval(),
                        fast.retryBaseDelay(),
                        fast.retryMaxDelay(),
                        3,
                        fast.stallTimeout(),
                        CEILING),
                4);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clear() {
        db.clear();
    }

    private RescuedJob loseLease(Job job) {
        db.expireLease(job.id());
        RescuedJob rescued = db.queue.rescueExpiredLeases().stream()
                .filter(r -> r.id().equals(job.id()))
                .findFirst()
                .orElseThrow();
        if (rescued.status() == JobStatus.QUEUED) {
            assertThat(db.get(job.id()).runAt())
                    .as("a rescued job waits the retry backoff")
                    .isAfter(db.get(job.id()).updatedAt());
            db.makeDue(job.id());
        }
        return rescued;
    }

    @Test
    void leaseLossesAfterCheckpointProgressCostNoAttemptAndTheJobResumesVisibly() {
        Job job = db.submit("preempted", 0, 3, 100);
        for (int i = 1; i <= 4; i++) {
            ClaimedJob claimed = db.queue.claim("w" + i).orElseThrow();
            if (i > 1) {
                Job resumed = claimed.job();
                assertThat(resumed.resumedFromStep())
                        .as("attempt %d starts at the checkpoint", i)
                        .isEqualTo(10 * (i - 1));
                assertThat(resumed.step())
                        .as("step goes back to the checkpoint, explained")
                        .isEqualTo(10 * (i - 1));
                assertThat(resumed.progress()).isEqualTo(10.0 * (i - 1));
            }
            db.queue.recordStep(claimed.lease(), new StepUpdate(10 * i, 100, "generating", Map.of()));
            db.queue.recordCheckpoint(claimed.lease(), 10 * i);
            db.queue.recordStep(claimed.lease(), new StepUpdate(10 * i + 3, 100, "generating", Map.of()));

            RescuedJob rescued = loseLease(job);
            assertThat(rescued.progressed()).isTrue();
            assertThat(rescued.status()).isEqualTo(JobStatus.QUEUED);
            Job requeued = db.get(job.id());
            assertThat(requeued.failures()).isZero();
            assertThat(requeued.interruptions()).isEqualTo(i);
            assertThat(requeued.errorCode())
                    .as("an interruption is not an error")
                    .isNull();
            assertThat(requeued.lastInterruptionCode()).isEqualTo("LEASE_EXPIRED");
            assertThat(requeued.lastInterruptionMessage()).contains("after checkpointing step " + 10 * i);
            assertThat(requeued.lastInterruptionAt()).isNotNull();
        }
        // the fifth attempt reaches the ceiling on all attempts: the job ends although it still made progress
        ClaimedJob last = db.queue.claim("w5").orElseThrow();
        assertThat(last.lease().attempt()).isEqualTo(CEILING);
        db.queue.recordCheckpoint(last.lease(), 50);
        assertThat(loseLease(job).status()).isEqualTo(JobStatus.FAILED);
        Job failed = db.get(job.id());
        assertThat(failed.errorCode()).isEqualTo("ATTEMPTS_EXHAUSTED");
        assertThat(failed.finishedAt()).isNotNull();
    }

    @Test
    void aJobWithoutCheckpointProgressFailsAfterMaxAttempts() {
        Job job = db.submit("crashes early", 0, 3, 100);
        // attempt 1 checkpoints once; attempts 2 and 3 never get past that checkpoint
        ClaimedJob first = db.queue.claim("w1").orElseThrow();
        db.queue.recordCheckpoint(first.lease(), 10);
        assertThat(loseLease(job).progressed()).isTrue();
        for (int i = 2; i <= 4; i++) {
            ClaimedJob claimed = db.queue.claim("w" + i).orElseThrow();
            db.queue.recordStep(claimed.lease(), new StepUpdate(15, 100, "generating", Map.of()));
            RescuedJob rescued = loseLease(job);
            assertThat(rescued.progressed()).isFalse();
            Job after = db.get(job.id());
            assertThat(after.failures()).isEqualTo(i - 1);
            if (i < 4) {
                assertThat(after.status()).isEqualTo(JobStatus.QUEUED);
            } else {
                assertThat(after.status())
                        .as("3 attempts without progress = max_attempts")
                        .isEqualTo(JobStatus.FAILED);
                assertThat(after.errorCode()).isEqualTo("LEASE_EXPIRED");
                assertThat(after.errorMessage()).contains("before the job checkpointed");
            }
        }
    }

    @Test
    void aTransientErrorCountsAndIsShownAsErrorWhileWaitingForItsRetry() {
        Job job = db.submit("oom once", 0, 3, 100);
        ClaimedJob claimed = db.queue.claim("w1").orElseThrow();
        db.queue.recordCheckpoint(claimed.lease(), 20);
        TransitionResult result = db.queue.failTransiently(claimed.lease(), "OUT_OF_MEMORY", "CUDA out of memory");
        assertThat(result.status()).isEqualTo(JobStatus.QUEUED);
        Job waiting = db.get(job.id());
        assertThat(waiting.failures())
                .as("a generator error counts, progress or not")
                .isEqualTo(1);
        assertThat(waiting.errorCode()).isEqualTo("OUT_OF_MEMORY");
        assertThat(waiting.lastInterruptionCode()).isEqualTo("OUT_OF_MEMORY");
        db.makeDue(job.id());
        assertThat(db.queue.claim("w2").orElseThrow().job().resumedFromStep()).isEqualTo(20);
    }

    @Test
    void aReleaseOnShutdownIsAnInterruption() {
        Job job = db.submit("rolling restart", 0, 3, 100);
        ClaimedJob claimed = db.queue.claim("w1").orElseThrow();
        db.queue.recordCheckpoint(claimed.lease(), 30);
        db.queue.release(claimed.lease());
        Job released = db.get(job.id());
        assertThat(released.failures()).isZero();
        assertThat(released.interruptions()).isEqualTo(1);
        assertThat(released.lastInterruptionCode()).isEqualTo("WORKER_SHUTDOWN");
        assertThat(db.queue.claim("w2").orElseThrow().job().resumedFromStep()).isEqualTo(30);
    }
}
