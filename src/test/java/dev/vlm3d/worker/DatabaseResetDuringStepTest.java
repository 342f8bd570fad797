package dev.vlm3d.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobStatus;
import dev.vlm3d.jobs.QueueProperties;
import dev.vlm3d.jobs.StepRecord;
import dev.vlm3d.testsupport.QueueFixture;
import dev.vlm3d.testsupport.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The database connection of a step write is reset in the middle of the write (pg_terminate_backend on the
 * backend executing it): the worker retries the write inside the attempt, the job goes on, and it costs no attempt.
 */
class DatabaseResetDuringStepTest {

    private static final int STEPS = 8;
    private static final int RESET_AT = 4;
    private static QueueFixture db;

    @BeforeAll
    static void setUp() {
        // a lease long enough that the held row lock below never makes the worker give its attempt up
        db = new QueueFixture(
                DatabaseResetDuringStepTest.class,
                new QueueProperties(
                        Duration.ofSeconds(20),
                        Duration.ofMillis(500),
                        Duration.ofMillis(200),
                        Duration.ofMillis(200),
                        Duration.ofMillis(200),
                        Duration.ofSeconds(1),
                        3,
                        Duration.ofMinutes(1)),
                6);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void aConnectionResetDuringAStepWriteCostsNoAttempt() throws Exception {
        CountDownLatch aboutToWrite = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        ScriptedGenerator generator = new ScriptedGenerator(5).onStep((request, context, step) -> {
            if (step == RESET_AT) {
                aboutToWrite.countDown();
                go.await();
            }
        });
        ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor();
        JobWorker worker = new JobWorker(
                "w",
                "cpu",
                db.queue,
                db.artifacts,
                device -> generator,
                new WorkerMetrics(new SimpleMeterRegistry()),
                heartbeats);
        Thread thread = new Thread(worker, "reset-worker");
        thread.start();
        Job job = db.submit("reset", 0, 3, STEPS);
        try (Connection locker = DriverManager.getConnection(
                        TestDatabase.url(db.schema), TestDatabase.user(), TestDatabase.password());
                Connection admin = DriverManager.getConnection(
                        TestDatabase.url(db.schema), TestDatabase.user(), TestDatabase.password())) {
            assertThat(aboutToWrite.await(30, TimeUnit.SECONDS)).isTrue();
            // hold the job row so the worker's step write is in flight (waiting) when its backend is terminated
            locker.setAutoCommit(false);
            try (PreparedStatement lock = locker.prepareStatement("SELECT 1 FROM jobs WHERE id = ? FOR UPDATE")) {
                lock.setObject(1, job.id());
                lock.executeQuery().close();
            }
            go.countDown();
            int stepWriter = await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> waitingStepWriter(admin), pid -> pid > 0);
            try (PreparedStatement kill = admin.prepareStatement("SELECT pg_terminate_backend(?)")) {
                kill.setInt(1, stepWriter);
                try (ResultSet rs = kill.executeQuery()) {
                    assertThat(rs.next() && rs.getBoolean(1))
                            .as("the step writer's backend was terminated")
                            .isTrue();
                }
            }
            locker.commit();
        } finally {
            go.countDown();
        }
        try {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> db.get(job.id()).status().isTerminal());
            Job done = db.get(job.id());
            assertThat(done.status())
                    .as(done.errorCode() + " " + done.errorMessage())
                    .isEqualTo(JobStatus.SUCCEEDED);
            assertThat(done.attempt()).as("the same attempt carried on").isEqualTo(1);
            assertThat(done.failures()).isZero();
            assertThat(done.interruptions()).isZero();
            List<StepRecord> steps = db.repository.steps(job.id());
            assertThat(steps)
                    .extracting(StepRecord::step)
                    .containsExactlyElementsOf(
                            IntStream.rangeClosed(1, STEPS).boxed().toList());
            assertThat(generator.runs).hasSize(1);
        } finally {
            worker.requestStop();
            thread.join(30_000);
            heartbeats.shutdownNow();
        }
    }

    /** The pid of a backend of this schema's pool waiting on a lock in a step write, or 0. */
    private static int waitingStepWriter(Connection admin) throws Exception {
        try (PreparedStatement q = admin.prepareStatement("""
                SELECT pid FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE jobs SET step =%' AND pid <> pg_backend_pid()
                LIMIT 1""");
                ResultSet rs = q.executeQuery()) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }
}
