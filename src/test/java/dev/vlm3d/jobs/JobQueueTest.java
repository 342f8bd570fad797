package dev.vlm3d.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm3d.artifacts.ArtifactKind;
import dev.vlm3d.testsupport.QueueFixture;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The queue's guarantees against a real PostgreSQL: no job lost, none run twice, no stale write lands. */
class JobQueueTest {

    private static QueueFixture db;

    @BeforeAll
    static void setUp() {
        db = new QueueFixture(JobQueueTest.class, QueueFixture.fastProperties(), 12);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        db.clear();
    }

    @Test
    void eightWorkersClaimFiveHundredJobsEachExactlyOnce() throws Exception {
        int jobs = 500;
        int workers = 8;
        Set<UUID> submitted = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < jobs; i++) submitted.add(db.submit("job " + i).id());

        ConcurrentLinkedQueue<UUID> claims = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            String workerId = "w" + w;
            results.add(pool.submit(() -> {
                start.await();
                int mine = 0;
                for (Optional<ClaimedJob> c = db.queue.claim(workerId); c.isPresent(); c = db.queue.claim(workerId)) {
                    claims.add(c.get().job().id());
                    db.queue.complete(c.get().lease());
                    mine++;
                }
                return mine;
            }));
        }
        start.countDown();
        int total = 0;
        List<Integer> perWorker = new ArrayList<>();
        for (Future<Integer> f : results) {
            int n = f.get(60, TimeUnit.SECONDS);
            perWorker.add(n);
            total += n;
        }
        pool.shutdown();

        assertThat(total).isEqualTo(jobs);
        assertThat(claims).hasSize(jobs).doesNotHaveDuplicates();
        assertThat(Set.copyOf(claims)).isEqualTo(submitted);
        assertThat(perWorker)
                .as("work is shared, not serialized behind one worker")
                .filteredOn(n -> n > 0)
                .hasSizeGreaterThan(1);
        assertThat(db.repository.countByStatus())
                .containsEntry(JobStatus.SUCCEEDED, (long) jobs)
                .containsEntry(JobStatus.QUEUED, 0L)
                .containsEntry(JobStatus.RUNNING, 0L);
        assertThat(db.jdbc
                        .sql("SELECT count(*) FROM jobs WHERE attempt <> 1")
                        .query(Integer.class)
                        .single())
                .isZero();
    }

    @Test
    void claimsHigherPriorityFirstThenOldestFirst() {
        Job lowOld = db.submit("low old", 0, 3, 10);
        Job highNew = db.submit("high", 5, 3, 10);
        Job lowNew = db.submit("low new", 0, 3, 10);

        List<UUID> order = new ArrayList<>();
        for (int i = 0; i < 3; i++)
            order.add(db.queue.claim("w").orElseThrow().job().id());

        assertThat(order).containsExactly(highNew.id(), lowOld.id(), lowNew.id());
        assertThat(db.queue.claim("w")).isEmpty();
    }

    @Test
    void claimSetsLeaseAndHeartbeatExtendsIt() throws Exception {
        db.submit("lease");
        ClaimedJob claimed = db.queue.claim("w1").orElseThrow();
        Job running = db.get(claimed.job().id());
        assertThat(running.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(running.workerId()).isEqualTo("w1");
        assertThat(running.attempt()).isEqualTo(1);
        assertThat(running.leaseExpiresAt()).isAfter(running.heartbeatAt());

        Thread.sleep(50);
        assertThat(db.queue.heartbeat(claimed.lease())).isFalse();
        db.queue.recordStep(
                claimed.lease(),
                new StepUpdate(
                        1,
                        10,
                        "generating",
                        Map.of("reward", 0.5, "sds_loss", Double.NaN, "lambda_vlm", Double.POSITIVE_INFINITY)));
        assertThat(db.get(claimed.job().id()).latestMetrics())
                .as("non-finite values are not stored")
                .containsOnlyKeys("reward");
        assertThat(db.get(claimed.job().id()).leaseExpiresAt()).isAfter(running.leaseExpiresAt());
    }

    @Test
    void expiredLeaseIsRescuedAndTheJobRunsAgainOnAnotherWorker() {
        Job job = db.submit("rescue me");
        ClaimedJob first = db.queue.claim("dead-worker").orElseThrow();
        assertThat(db.queue.rescueExpiredLeases())
                .as("a live lease is left alone")
                .isEmpty();

        db.expireLease(job.id());
        List<RescuedJob> rescued = db.queue.rescueExpiredLeases();

        assertThat(rescued).containsExactly(new RescuedJob(job.id(), "dead-worker", JobStatus.QUEUED, false));
        Job requeued = db.get(job.id());
        assertThat(requeued.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(requeued.failures())
                .as("no checkpoint progress: the attempt counts")
                .isEqualTo(1);
        assertThat(requeued.errorCode())
                .as("a lease loss is an interruption, not an error")
                .isNull();
        assertThat(requeued.lastInterruptionCode()).isEqualTo("LEASE_EXPIRED");
        assertThat(requeued.workerId()).isNull();
        // the same backoff as a transient failure, first retry: base 200 ms with equal jitter, [100, 200] ms
        assertThat(Duration.between(requeued.updatedAt(), requeued.runAt()))
                .isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
        assertThat(db.queue.claim("live-worker"))
                .as("not claimable during its backoff")
                .isEmpty();
        db.makeDue(job.id());

        ClaimedJob second = db.queue.claim("live-worker").orElseThrow();
        assertThat(second.job().id()).isEqualTo(job.id());
        assertThat(second.lease().attempt()).isEqualTo(first.lease().attempt() + 1);
    }

    @Test
    void staleWorkersWritesAreRejectedAfterItsJobWasReclaimed() throws Exception {
        Job job = db.submit("zombie");
        Lease stale = db.queue.claim("zombie").orElseThrow().lease();
        db.expireLease(job.id());
        db.queue.rescueExpiredLeases();
        db.makeDue(job.id());
        Lease current = db.queue.claim("healthy").orElseThrow().lease();
        db.queue.recordStep(current, new StepUpdate(3, 10, "generating", Map.of("reward", 1.5)));

        StepUpdate staleStep = new StepUpdate(9, 10, "generating", Map.of("reward", -7.0));
        assertThatThrownBy(() -> db.queue.recordStep(stale, staleStep)).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> db.queue.heartbeat(stale)).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> db.queue.complete(stale)).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> db.queue.failTransiently(stale, "X", "x")).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> db.queue.release(stale)).isInstanceOf(LeaseLostException.class);
        assertThat(db.artifacts.put(
                        job.id(), stale.attempt(), ArtifactKind.OUTPUT, "model.glb", "model/gltf-binary", new byte[] {
                            1, 2, 3
                        }))
                .isEmpty();

        Job after = db.get(job.id());
        assertThat(after.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(after.workerId()).isEqualTo("healthy");
        assertThat(after.step()).isEqualTo(3);
        assertThat(after.latestMetrics()).containsEntry("reward", 1.5);
        assertThat(db.artifacts.list(job.id(), ArtifactKind.OUTPUT)).isEmpty();
        assertThat(db.repository.steps(job.id())).extracting(StepRecord::step).containsExactly(3);

        assertThat(db.artifacts.put(
                        job.id(), current.attempt(), ArtifactKind.OUTPUT, "model.glb", "model/gltf-binary", new byte[] {
                            1, 2, 3
                        }))
                .isPresent();
        db.queue.complete(current);
        assertThat(db.get(job.id()).status()).isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    void transientFailuresRetryWithGrowingBackoffThenFailAfterMaxAttempts() {
        Job job = db.submit("flaky", 0, 3, 10);
        List<Duration> delays = new ArrayList<>();
        for (int attempt = 1; attempt <= 2; attempt++) {
            ClaimedJob claimed = db.queue.claim("w").orElseThrow();
            assertThat(claimed.lease().attempt()).isEqualTo(attempt);
            Instant before = Instant.now();
            TransitionResult result = db.queue.failTransiently(claimed.lease(), "CUDA_OOM", "out of memory");
            assertThat(result.status()).isEqualTo(JobStatus.QUEUED);
            delays.add(Duration.between(before, result.runAt()));
            assertThat(db.queue.claim("w"))
                    .as("not claimable during its backoff")
                    .isEmpty();
            Job waiting = db.get(job.id());
            assertThat(waiting.stage()).isEqualTo("retry_wait");
            assertThat(waiting.errorCode()).isEqualTo("CUDA_OOM");
            db.makeDue(job.id());
        }
        // base 200 ms, equal jitter: first delay in [100, 200] ms, second in [200, 400] ms (clock slack 50 ms)
        assertThat(delays.get(0)).isBetween(Duration.ofMillis(50), Duration.ofMillis(250));
        assertThat(delays.get(1)).isBetween(Duration.ofMillis(150), Duration.ofMillis(450));

        ClaimedJob last = db.queue.claim("w").orElseThrow();
        TransitionResult result = db.queue.failTransiently(last.lease(), "CUDA_OOM", "out of memory");
        assertThat(result.status()).isEqualTo(JobStatus.FAILED);
        Job failed = db.get(job.id());
        assertThat(failed.failures()).isEqualTo(3);
        assertThat(failed.finishedAt()).isNotNull();
        assertThat(failed.errorCode()).isEqualTo("CUDA_OOM");
        db.makeDue(job.id());
        assertThat(db.queue.claim("w")).isEmpty();
    }

    @Test
    void permanentFailureFailsAtOnceWithoutRetry() {
        Job job = db.submit("bad", 0, 5, 10);
        ClaimedJob claimed = db.queue.claim("w").orElseThrow();
        db.queue.failPermanently(claimed.lease(), "CONTENT_POLICY", "refused");
        Job failed = db.get(job.id());
        assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
        assertThat(failed.errorCode()).isEqualTo("CONTENT_POLICY");
        db.makeDue(job.id());
        assertThat(db.queue.claim("w")).isEmpty();
    }

    @Test
    void cancellingAQueuedJobIsImmediateAndItIsNeverClaimed() {
        Job job = db.submit("never mind");
        Job cancelled = db.repository
                .requestCancel(job.id(), OwnerScope.owner(db.owner))
                .orElseThrow();
        assertThat(cancelled.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(cancelled.finishedAt()).isNotNull();
        assertThat(db.queue.claim("w")).isEmpty();
    }

    @Test
    void cancellingARunningJobIsSeenByItsWorkerAtTheNextStepAndHeartbeat() {
        Job job = db.submit("stop later");
        Lease lease = db.queue.claim("w").orElseThrow().lease();
        assertThat(db.queue.recordStep(lease, new StepUpdate(1, 10, "generating", Map.of())))
                .isFalse();

        Job requested = db.repository
                .requestCancel(job.id(), OwnerScope.owner(db.owner))
                .orElseThrow();
        assertThat(requested.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(requested.cancelRequestedAt()).isNotNull();

        assertThat(db.queue.heartbeat(lease)).isTrue();
        assertThat(db.queue.recordStep(lease, new StepUpdate(2, 10, "generating", Map.of())))
                .isTrue();
        db.queue.markCancelled(lease);
        assertThat(db.get(job.id()).status()).isEqualTo(JobStatus.CANCELLED);
    }

    @Test
    void rescuerDoesNotResurrectACancelledJob() {
        Job job = db.submit("cancel then die");
        db.queue.claim("w").orElseThrow();
        db.repository.requestCancel(job.id(), OwnerScope.owner(db.owner));
        db.expireLease(job.id());
        assertThat(db.queue.rescueExpiredLeases())
                .extracting(RescuedJob::status)
                .containsExactly(JobStatus.CANCELLED);
        assertThat(db.queue.claim("w")).isEmpty();
    }

    @Test
    void releaseForShutdownRequeuesWithoutSpendingAnAttempt() {
        Job job = db.submit("rolling restart", 0, 1, 10);
        Lease first = db.queue.claim("old-pod").orElseThrow().lease();
        assertThat(db.queue.release(first)).isEqualTo(JobStatus.QUEUED);
        Job released = db.get(job.id());
        assertThat(released.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(released.failures()).isZero();

        Lease second = db.queue.claim("new-pod").orElseThrow().lease();
        assertThat(second.attempt()).isEqualTo(2);
        db.queue.complete(second);
        assertThat(db.get(job.id()).status()).isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    void idempotentReplayReturnsTheSameJobAndADifferentBodyConflicts() {
        NewJob request = new NewJob("a chair", null, 1, null, 10, 0, Map.of(), 3, db.owner, "key-1", new byte[] {1});
        SubmitResult first = db.repository.submit(request, 10);
        SubmitResult replay = db.repository.submit(request, 10);
        assertThat(first.replayed()).isFalse();
        assertThat(replay.replayed()).isTrue();
        assertThat(replay.job().id()).isEqualTo(first.job().id());

        NewJob other = new NewJob("a table", null, 1, null, 10, 0, Map.of(), 3, db.owner, "key-1", new byte[] {2});
        assertThatThrownBy(() -> db.repository.submit(other, 10)).isInstanceOf(IdempotencyConflictException.class);
        assertThat(db.repository.countByStatus().get(JobStatus.QUEUED)).isEqualTo(1L);
    }

    @Test
    void concurrentIdempotentSubmissionsCreateOneJob() throws Exception {
        NewJob request = new NewJob("a lamp", null, 1, null, 10, 0, Map.of(), 3, db.owner, "key-race", new byte[] {7});
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<UUID>> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++)
            ids.add(pool.submit(() -> db.repository.submit(request, 100).job().id()));
        Set<UUID> distinct = ConcurrentHashMap.newKeySet();
        for (Future<UUID> f : ids) distinct.add(f.get(10, TimeUnit.SECONDS));
        pool.shutdown();
        assertThat(distinct).hasSize(1);
    }

    @Test
    void queuedCapPerOwnerIsEnforced() {
        for (int i = 0; i < 2; i++) {
            db.repository.submit(new NewJob("j" + i, null, 1, null, 10, 0, Map.of(), 3, db.owner, null, null), 2);
        }
        assertThatThrownBy(() -> db.repository.submit(
                        new NewJob("j3", null, 1, null, 10, 0, Map.of(), 3, db.owner, null, null), 2))
                .isInstanceOf(QueueCapExceededException.class);
        assertThat(db.repository.countByStatus().get(JobStatus.QUEUED)).isEqualTo(2L);
    }

    @Test
    void queuePositionCountsTheJobsAhead() {
        Job a = db.submit("a", 0, 3, 10);
        Job b = db.submit("b", 0, 3, 10);
        Job urgent = db.submit("urgent", 9, 3, 10);
        assertThat(db.repository.queuePosition(urgent)).isZero();
        assertThat(db.repository.queuePosition(a)).isEqualTo(1);
        assertThat(db.repository.queuePosition(b)).isEqualTo(2);
    }

    @Test
    void submissionCountsTheJobsAheadExactlyUpToTheBound() {
        SubmitResult a =
                db.repository.submit(new NewJob("a", null, 1, null, 10, 0, Map.of(), 3, db.owner, null, null), -1);
        SubmitResult b =
                db.repository.submit(new NewJob("b", null, 1, null, 10, 0, Map.of(), 3, db.owner, null, null), -1);
        SubmitResult urgent =
                db.repository.submit(new NewJob("u", null, 1, null, 10, 9, Map.of(), 3, db.owner, null, null), -1);
        SubmitResult low =
                db.repository.submit(new NewJob("l", null, 1, null, 10, -1, Map.of(), 3, db.owner, null, null), -1);
        assertThat(List.of(a.queuedAhead(), b.queuedAhead(), urgent.queuedAhead(), low.queuedAhead()))
                .containsExactly(0, 1, 0, 3);
        // the bounded count agrees with the exact one while below the bound
        for (SubmitResult r : List.of(a, b, urgent, low)) {
            assertThat(db.repository.queuePositionUpTo(db.get(r.job().id()), 100))
                    .isEqualTo(db.repository.queuePosition(db.get(r.job().id())));
        }
        assertThat(db.repository.queuePositionUpTo(db.get(low.job().id()), 2)).isEqualTo(2);

        for (int i = 0; i < JobRepository.EXACT_AHEAD_BOUND; i++) db.submit("filler " + i);
        SubmitResult last =
                db.repository.submit(new NewJob("last", null, 1, null, 10, 0, Map.of(), 3, db.owner, null, null), -1);
        assertThat(last.queuedAhead()).isEqualTo(JobRepository.EXACT_AHEAD_BOUND);
        assertThat(db.repository.queuePosition(last.job())).isEqualTo(JobRepository.EXACT_AHEAD_BOUND + 3);
        // a cancelled job is not ahead of anyone: b has only the urgent job ahead now
        assertThat(db.repository.queuePositionUpTo(db.get(b.job().id()), 100)).isEqualTo(2);
        db.repository.requestCancel(a.job().id(), OwnerScope.everyone());
        assertThat(db.repository.queuePositionUpTo(db.get(b.job().id()), 100)).isEqualTo(1);
    }

    @Test
    void queueEstimatesCountPerPriorityPlusThisInstancesAdmissionsUntilTheNextRefresh() {
        db.submit("a", 0, 3, 10);
        db.submit("b", 5, 3, 10);
        QueueEstimates estimates = new QueueEstimates(db.repository, Duration.ofHours(1));
        QueueEstimates.Snapshot first = estimates.current();
        assertThat(first.queuedByPriority()).containsExactly(Map.entry(0, 1L), Map.entry(5, 1L));
        assertThat(first.aheadOfNew(0)).isEqualTo(2);
        assertThat(first.aheadOfNew(5)).isEqualTo(1);
        assertThat(first.aheadOfNew(6)).isZero();
        assertThat(first.meanRunTime()).isEmpty();
        assertThat(first.runningWorkers()).isZero();

        // jobs stored by others are not seen before a refresh; this instance's admissions are
        db.submit("c", 0, 3, 10);
        estimates.admitted(5);
        estimates.admitted(-3);
        assertThat(estimates.current()).isSameAs(first);
        assertThat(first.aheadOfNew(0)).isEqualTo(3);
        assertThat(first.aheadOfNew(-3)).isEqualTo(4);

        // a snapshot older than the max age is read again, and the admissions counted start over
        QueueEstimates always = new QueueEstimates(db.repository, Duration.ZERO);
        QueueEstimates.Snapshot fresh = always.current();
        assertThat(fresh.aheadOfNew(0)).isEqualTo(3);
        always.admitted(0);
        assertThat(fresh.aheadOfNew(0)).isEqualTo(4);
        ClaimedJob claimed = db.queue.claim("w1").orElseThrow();
        QueueEstimates.Snapshot next = always.current();
        assertThat(next).isNotSameAs(fresh);
        assertThat(next.aheadOfNew(0)).isEqualTo(2);
        assertThat(next.runningWorkers()).isEqualTo(1);
        db.queue.complete(claimed.lease());
        assertThat(always.current().meanRunTime()).isPresent();
    }

    @Test
    void listingPagesThroughAllJobsNewestFirstWithAStatusFilter() {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) ids.add(db.submit("p" + i).id());
        db.repository.requestCancel(ids.get(0), OwnerScope.everyone());

        List<UUID> seen = new ArrayList<>();
        String cursor = null;
        do {
            JobPage page = db.repository.list(OwnerScope.owner(db.owner), null, cursor, 3);
            page.jobs().forEach(j -> seen.add(j.id()));
            cursor = page.nextCursor();
        } while (cursor != null);
        List<UUID> newestFirst = new ArrayList<>(ids);
        java.util.Collections.reverse(newestFirst);
        assertThat(seen).containsExactlyElementsOf(newestFirst);

        assertThat(db.repository
                        .list(OwnerScope.everyone(), JobStatus.CANCELLED, null, 10)
                        .jobs())
                .extracting(Job::id)
                .containsExactly(ids.get(0));
        assertThat(db.repository
                        .list(OwnerScope.owner(UUID.randomUUID()), null, null, 10)
                        .jobs())
                .isEmpty();
    }

    @Test
    void listenerReconnectsAfterItsConnectionIsKilledAndDeliversLaterNotifications() throws Exception {
        try (JobNotificationListener listener = new JobNotificationListener(db.dataSource, db.channels)) {
            java.util.concurrent.Semaphore connects = new java.util.concurrent.Semaphore(0);
            java.util.concurrent.Semaphore wakeUps = new java.util.concurrent.Semaphore(0);
            listener.onReconnect(connects::release);
            listener.start();
            assertThat(connects.tryAcquire(5, TimeUnit.SECONDS)).isTrue();
            listener.onQueued(wakeUps::release);

            int killed = db.jdbc
                    .sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = :q")
                    .param("q", "LISTEN \"" + db.channels.changed() + "\"")
                    .query(Integer.class)
                    .single();
            assertThat(killed).isEqualTo(1);

            assertThat(connects.tryAcquire(10, TimeUnit.SECONDS))
                    .as("reconnected")
                    .isTrue();
            wakeUps.drainPermits();
            db.submit("after reconnect");
            assertThat(wakeUps.tryAcquire(5, TimeUnit.SECONDS)).isTrue();
            assertThat(listener.isConnected()).isTrue();
        }
    }

    @Test
    void notificationsWakeListenersOnSubmitAndOnChange() throws Exception {
        try (JobNotificationListener listener = new JobNotificationListener(db.dataSource, db.channels)) {
            CountDownLatch queued = new CountDownLatch(1);
            CountDownLatch connected = new CountDownLatch(1);
            AtomicInteger changes = new AtomicInteger();
            listener.onReconnect(connected::countDown);
            listener.start();
            assertThat(connected.await(5, TimeUnit.SECONDS)).isTrue();
            listener.onQueued(queued::countDown);
            Job job = db.submit("wake up");
            CountDownLatch changed = new CountDownLatch(1);
            listener.onChanged(id -> {
                if (id.equals(job.id())) {
                    changes.incrementAndGet();
                    changed.countDown();
                }
            });
            assertThat(queued.await(5, TimeUnit.SECONDS)).isTrue();
            db.repository.requestCancel(job.id(), OwnerScope.everyone());
            assertThat(changed.await(5, TimeUnit.SECONDS)).isTrue();
        }
    }
}
