package dev.vlm3d.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vlm3d.artifacts.ArtifactInfo;
import dev.vlm3d.artifacts.ArtifactKind;
import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobNotificationListener;
import dev.vlm3d.jobs.JobStatus;
import dev.vlm3d.jobs.OwnerScope;
import dev.vlm3d.jobs.StepRecord;
import dev.vlm3d.testsupport.QueueFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Workers running jobs through a test generator against a real PostgreSQL. */
class JobWorkerTest {

    private static QueueFixture db;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @BeforeAll
    static void setUp() {
        db = new QueueFixture(JobWorkerTest.class, QueueFixture.fastProperties(), 10);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        db.clear();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) toClose.get(i).close();
    }

    private WorkerPool startPool(ScriptedGenerator generator, int count, String devices, Duration grace) {
        JobNotificationListener listener = new JobNotificationListener(db.dataSource, db.channels);
        listener.start();
        WorkerPool pool = new WorkerPool(
                new WorkerProperties(true, count, List.of(devices.split(",")), grace),
                db.queue,
                db.artifacts,
                device -> generator,
                new WorkerMetrics(meters),
                listener);
        pool.start();
        toClose.add(listener);
        toClose.add(pool::stop);
        return pool;
    }

    private Job awaitStatus(Job job, JobStatus status, Duration timeout) {
        await().atMost(timeout)
                .pollInterval(Duration.ofMillis(50))
                .until(() -> db.get(job.id()).status() == status);
        return db.get(job.id());
    }

    @Test
    void runsAJobToSuccessWithStepsArtifactsAndMetrics() {
        ScriptedGenerator generator = new ScriptedGenerator(5);
        startPool(generator, 2, "gpu0,gpu1", Duration.ofSeconds(5));
        Job job = db.submit("a red chair", 0, 3, 20);

        Job done = awaitStatus(job, JobStatus.SUCCEEDED, Duration.ofSeconds(10));

        assertThat(done.progress()).isEqualTo(100.0);
        assertThat(done.step()).isEqualTo(20);
        assertThat(done.latestMetrics()).containsEntry("reward", 20.0);
        assertThat(db.repository.steps(job.id()))
                .extracting(StepRecord::step)
                .containsExactlyElementsOf(
                        java.util.stream.IntStream.rangeClosed(1, 20).boxed().toList());
        assertThat(db.artifacts.list(job.id(), ArtifactKind.OUTPUT))
                .extracting(ArtifactInfo::name)
                .containsExactly("model.glb", "render_000.png");
        assertThat(db.artifacts.list(job.id(), ArtifactKind.CHECKPOINT)).isEmpty();
        assertThat(generator.runs)
                .singleElement()
                .satisfies(r -> assertThat(r.device()).isIn("gpu0", "gpu1"));
        assertThat(meters.get("vlm3d.jobs.completed")
                        .tag("outcome", "succeeded")
                        .counter()
                        .count())
                .isEqualTo(1.0);
        assertThat(meters.get("vlm3d.jobs.step.duration").timer().count()).isEqualTo(20);
    }

    @Test
    void cancellingARunningJobStopsItAtTheNextStepAndFreesTheWorker() {
        ScriptedGenerator generator = new ScriptedGenerator(20);
        startPool(generator, 1, "cpu", Duration.ofSeconds(5));
        Job longJob = db.submit("very long", 0, 3, 100_000);
        await().atMost(Duration.ofSeconds(5)).until(() -> db.get(longJob.id()).step() >= 2);

        long requestedAt = System.nanoTime();
        db.repository.requestCancel(longJob.id(), OwnerScope.owner(db.owner));
        Job cancelled = awaitStatus(longJob, JobStatus.CANCELLED, Duration.ofSeconds(5));
        Duration tookToStop = Duration.ofNanos(System.nanoTime() - requestedAt);

        assertThat(tookToStop).isLessThan(Duration.ofSeconds(3));
        assertThat(cancelled.finishedAt()).isNotNull();
        Job next = db.submit("next", 0, 3, 3);
        awaitStatus(next, JobStatus.SUCCEEDED, Duration.ofSeconds(5));
    }

    @Test
    void transientFailureIsRetriedThenSucceeds() {
        ScriptedGenerator generator = new ScriptedGenerator(1)
                .failing((request, attempt) ->
                        attempt == 1 ? GenerationException.transientFailure("CUDA_OOM", "out of memory", null) : null);
        startPool(generator, 1, "cpu", Duration.ofSeconds(5));
        Job job = db.submit("flaky", 0, 3, 5);

        Job done = awaitStatus(job, JobStatus.SUCCEEDED, Duration.ofSeconds(10));

        assertThat(done.attempt()).isEqualTo(2);
        assertThat(done.failures()).isEqualTo(1);
        assertThat(done.errorCode()).isNull();
        assertThat(meters.get("vlm3d.jobs.completed")
                        .tag("outcome", "retried")
                        .counter()
                        .count())
                .isEqualTo(1.0);
    }

    @Test
    void transientFailuresUpToMaxAttemptsEndFailed() {
        ScriptedGenerator generator = new ScriptedGenerator(1)
                .failing((request, attempt) ->
                        GenerationException.transientFailure("DEVICE_LOST", "gpu fell off the bus", null));
        startPool(generator, 1, "cpu", Duration.ofSeconds(5));
        Job job = db.submit("doomed", 0, 3, 5);

        Job failed = awaitStatus(job, JobStatus.FAILED, Duration.ofSeconds(15));

        assertThat(failed.attempt()).isEqualTo(3);
        assertThat(failed.errorCode()).isEqualTo("DEVICE_LOST");
        assertThat(generator.runs).hasSize(3);
    }

    @Test
    void permanentFailureFailsAtOnce() {
        ScriptedGenerator generator = new ScriptedGenerator(1)
                .failing((request, attempt) -> GenerationException.permanentFailure(
                        "PROMPT_REJECTED", "the models cannot take this prompt", null));
        startPool(generator, 1, "cpu", Duration.ofSeconds(5));
        Job job = db.submit("bad", 0, 5, 5);

        Job failed = awaitStatus(job, JobStatus.FAILED, Duration.ofSeconds(10));

        assertThat(failed.attempt()).isEqualTo(1);
        assertThat(failed.errorCode()).isEqualTo("PROMPT_REJECTED");
        assertThat(generator.runs).hasSize(1);
    }

    @Test
    void gracefulShutdownCheckpointsAndAnotherWorkerResumesFromTheCheckpoint() {
        ScriptedGenerator first = new ScriptedGenerator(20);
        WorkerPool oldPod = startPool(first, 1, "gpu0", Duration.ofSeconds(10));
        Job job = db.submit("resume me", 0, 1, 40);
        await().atMost(Duration.ofSeconds(5)).until(() -> db.get(job.id()).step() >= 5);

        oldPod.stop();

        Job released = db.get(job.id());
        assertThat(released.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(released.failures()).isZero();
        assertThat(released.checkpointStep()).isNotNull().isGreaterThanOrEqualTo(5);
        assertThat(first.runs)
                .singleElement()
                .satisfies(r -> assertThat(r.outcome()).isEqualTo(GenerationOutcome.STOPPED_FOR_SHUTDOWN));

        ScriptedGenerator second = new ScriptedGenerator(1);
        startPool(second, 1, "gpu1", Duration.ofSeconds(5));
        Job done = awaitStatus(job, JobStatus.SUCCEEDED, Duration.ofSeconds(10));

        assertThat(done.attempt()).isEqualTo(2);
        assertThat(second.runs).singleElement().satisfies(r -> {
            assertThat(r.startStep()).isEqualTo(released.checkpointStep());
            assertThat(r.device()).isEqualTo("gpu1");
        });
        assertThat(db.repository.steps(job.id()))
                .extracting(StepRecord::step)
                .containsExactlyElementsOf(
                        java.util.stream.IntStream.rangeClosed(1, 40).boxed().toList());
    }

    @Test
    void aPausedWorkerWhoseLeaseWasRescuedCannotOverwriteTheNewAttempt() throws Exception {
        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        ScriptedGenerator zombie = new ScriptedGenerator(1).onStep((request, context, step) -> {
            if (request.attempt() == 1 && step == 3) {
                paused.countDown();
                resume.await(); // a long GC pause or a hung driver call
            }
        });
        startPool(zombie, 1, "gpu0", Duration.ofSeconds(5));
        Job job = db.submit("zombie", 0, 3, 6);
        assertThat(paused.await(5, TimeUnit.SECONDS)).isTrue();

        db.expireLease(job.id());
        db.queue.rescueExpiredLeases();
        ScriptedGenerator healthy = new ScriptedGenerator(1);
        startPool(healthy, 1, "gpu1", Duration.ofSeconds(5));
        Job done = awaitStatus(job, JobStatus.SUCCEEDED, Duration.ofSeconds(10));
        assertThat(done.attempt()).isEqualTo(2);

        resume.countDown();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> meters.find("vlm3d.jobs.completed")
                                .tag("outcome", "lease_lost")
                                .counter()
                        != null);
        Job after = db.get(job.id());
        assertThat(after.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(after.attempt()).isEqualTo(2);
        assertThat(db.repository.steps(job.id()))
                .allSatisfy(s -> assertThat(s.attempt()).isEqualTo(2));
        assertThat(db.artifacts.list(job.id(), ArtifactKind.OUTPUT))
                .allSatisfy(a -> assertThat(a.attempt()).isEqualTo(2));
    }

    @Test
    void aHungGeneratorStopsRenewingItsLeaseSoTheJobIsRescuedAndItsLateWritesAreRejected() throws Exception {
        CountDownLatch hung = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ScriptedGenerator generator = new ScriptedGenerator(1).onStep((request, context, step) -> {
            if (request.attempt() == 1 && step == 2) {
                hung.countDown();
                release.await(); // a driver call that never returns; the heartbeat thread keeps running
            }
        });
        startPool(generator, 1, "gpu0", Duration.ofSeconds(2));
        Job job = db.submit("hangs", 0, 3, 4);
        assertThat(hung.await(5, TimeUnit.SECONDS)).isTrue();

        // stall timeout 1 s + lease 2 s: the lease lapses although the worker process is alive
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> !db.queue.rescueExpiredLeases().isEmpty());
        Job rescued = db.get(job.id());
        assertThat(rescued.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(rescued.lastInterruptionCode()).isEqualTo("LEASE_EXPIRED");
        assertThat(rescued.errorCode()).isNull();

        release.countDown();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> meters.find("vlm3d.jobs.completed")
                                .tag("outcome", "lease_lost")
                                .counter()
                        != null);
        Job done = awaitStatus(job, JobStatus.SUCCEEDED, Duration.ofSeconds(10));
        assertThat(done.attempt())
                .as("the same worker claimed it again once free")
                .isEqualTo(2);
        assertThat(db.repository.steps(job.id()))
                .allSatisfy(s -> assertThat(s.attempt()).isEqualTo(2));
    }

    @Test
    void withoutAnEngineNoWorkerStartsAndJobsStayQueued() throws Exception {
        JobNotificationListener listener = new JobNotificationListener(db.dataSource, db.channels);
        WorkerPool pool = new WorkerPool(
                new WorkerProperties(true, 2, List.of("cpu"), Duration.ofSeconds(1)),
                db.queue,
                db.artifacts,
                null,
                new WorkerMetrics(meters),
                listener);
        pool.start();
        toClose.add(pool::stop);
        Job job = db.submit("waits for an engine");
        Thread.sleep(500);
        assertThat(pool.engineAvailable()).isFalse();
        assertThat(pool.workers()).isEmpty();
        assertThat(db.get(job.id()).status()).isEqualTo(JobStatus.QUEUED);
    }
}
