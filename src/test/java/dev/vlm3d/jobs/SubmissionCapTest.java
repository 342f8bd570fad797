package dev.vlm3d.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.testsupport.QueueFixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The per-key cap on queued jobs is exact under concurrent submissions, without serializing them. */
class SubmissionCapTest {

    private static final int CAP = 10;
    private static final int CONCURRENT = 32;
    private static QueueFixture db;

    @BeforeAll
    static void setUp() {
        db = new QueueFixture(SubmissionCapTest.class, QueueFixture.fastProperties(), CONCURRENT + 4);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clear() {
        db.clear();
    }

    private NewJob job(String prompt, String idempotencyKey) {
        return new NewJob(
                prompt,
                null,
                1,
                null,
                10,
                0,
                Map.of(),
                3,
                db.owner,
                idempotencyKey,
                idempotencyKey == null ? null : new byte[] {1});
    }

    private int queuedCounter() {
        return db.jdbc
                .sql("SELECT queued_jobs FROM api_keys WHERE id = :id")
                .param("id", db.owner)
                .query(Integer.class)
                .single();
    }

    private int queuedRows() {
        return db.jdbc
                .sql("SELECT count(*) FROM jobs WHERE owner_key_id = :id AND status = 'QUEUED'")
                .param("id", db.owner)
                .query(Integer.class)
                .single();
    }

    @RepeatedTest(5)
    void concurrentSubmitsAtCapMinusOneAdmitExactlyOne() throws Exception {
        for (int i = 0; i < CAP - 1; i++) db.repository.submit(job("before " + i, null), CAP);
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < CONCURRENT; i++) {
            String prompt = "racer " + i;
            results.add(pool.submit(() -> {
                start.await();
                try {
                    db.repository.submit(job(prompt, null), CAP);
                    return true;
                } catch (QueueCapExceededException e) {
                    return false;
                }
            }));
        }
        start.countDown();
        int admitted = 0;
        for (Future<Boolean> f : results) if (f.get()) admitted++;
        pool.shutdown();
        assertThat(admitted).isEqualTo(1);
        assertThat(queuedRows()).isEqualTo(CAP);
        assertThat(queuedCounter()).isEqualTo(CAP);
    }

    @Test
    void theCounterFollowsEveryWayOutOfAndBackIntoTheQueue() {
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 5; i++)
            jobs.add(db.repository.submit(job("j" + i, null), CAP).job());
        ClaimedJob claimed = db.queue.claim("w").orElseThrow();
        assertThat(queuedCounter()).isEqualTo(4);
        db.queue.release(claimed.lease());
        assertThat(queuedCounter()).isEqualTo(5);
        db.repository.requestCancel(jobs.get(1).id(), OwnerScope.everyone());
        db.repository.delete(jobs.get(2).id(), OwnerScope.everyone());
        ClaimedJob again = db.queue.claim("w").orElseThrow();
        db.expireLease(again.job().id());
        db.queue.rescueExpiredLeases();
        assertThat(queuedCounter()).isEqualTo(queuedRows()).isEqualTo(3);
    }

    @Test
    void concurrentReplaysOfOneIdempotencyKeyStoreOneJob() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<SubmitResult>> results = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            results.add(pool.submit(() -> {
                start.await();
                return db.repository.submit(job("same", "order-1"), CAP);
            }));
        }
        start.countDown();
        List<SubmitResult> all = new ArrayList<>();
        for (Future<SubmitResult> f : results) all.add(f.get());
        pool.shutdown();
        assertThat(all.stream().filter(r -> !r.replayed())).hasSize(1);
        assertThat(all.stream().map(r -> r.job().id()).distinct()).hasSize(1);
        assertThat(queuedRows()).isEqualTo(1);
    }
}
