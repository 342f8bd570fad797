package dev.vlm3d.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.djl.Device;
import dev.vlm3d.artifacts.ArtifactInfo;
import dev.vlm3d.artifacts.ArtifactKind;
import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobStatus;
import dev.vlm3d.jobs.NewJob;
import dev.vlm3d.jobs.QueueProperties;
import dev.vlm3d.options.GenerationOptions;
import dev.vlm3d.options.Preset;
import dev.vlm3d.testsupport.QueueFixture;
import dev.vlm3d.worker.Checkpoint;
import dev.vlm3d.worker.GenerationContext;
import dev.vlm3d.worker.GenerationOutcome;
import dev.vlm3d.worker.GenerationRequest;
import dev.vlm3d.worker.JobGenerator;
import dev.vlm3d.worker.JobWorker;
import dev.vlm3d.worker.StopSignal;
import dev.vlm3d.worker.WorkerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real VLM3D job (tiny models) whose worker freezes past its lease five times, each time after it checkpointed:
 * with the default max_attempts of 3 it still SUCCEEDS (interruptions after checkpoint progress cost no attempt),
 * each attempt resumes from the checkpoint the previous one reached, and the GLB is byte-identical to an
 * uninterrupted run with the same seed.
 */
class RepeatedInterruptionTest {

    private static final int STEPS = 60;
    private static final int CHECKPOINT_EVERY = 10; // the preview preset's checkpoint interval
    private static final int FREEZES = 5;
    private static final int DEFAULT_MAX_ATTEMPTS =
            new dev.vlm3d.api.ApiProperties(null, null, null, null, null, null, null, null, null, null).maxAttempts();

    private static QueueFixture db;
    private static final List<Runnable> cleanup = new ArrayList<>();

    @BeforeAll
    static void setUp() {
        // short lease so frozen workers are rescued within seconds; default max-total-attempts; a long stall timeout
        db = new QueueFixture(
                RepeatedInterruptionTest.class,
                new QueueProperties(
                        Duration.ofSeconds(3),
                        Duration.ofMillis(300),
                        Duration.ofMillis(200),
                        Duration.ofMillis(200),
                        Duration.ofMillis(200),
                        Duration.ofSeconds(1),
                        3,
                        Duration.ofMinutes(5)),
                20);
    }

    @AfterAll
    static void tearDown() {
        cleanup.forEach(Runnable::run);
        db.close();
    }

    @Test
    void aJobFrozenFiveTimesAfterCheckpointingSucceedsWithTheDefaultAttemptsAndTheSameGlb() throws Exception {
        ModelSettings settings = new ModelSettings(
                null, null, null, Path.of("target/vlm3d-cache").toAbsolutePath(), null, null);
        assertThat(DEFAULT_MAX_ATTEMPTS).isEqualTo(3);

        Job interrupted = submit();
        for (int freeze = 1; freeze <= FREEZES; freeze++) {
            int freezeAt = freeze * CHECKPOINT_EVERY + 2;
            CountDownLatch frozen = new CountDownLatch(1);
            startWorker("freezes-at-" + freezeAt, settings, freezeAt, frozen);
            await().atMost(Duration.ofMinutes(3)).until(() -> frozen.getCount() == 0);
            Job stuck = db.get(interrupted.id());
            assertThat(stuck.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(stuck.checkpointStep()).isEqualTo(freeze * CHECKPOINT_EVERY);
            // the lease lapses (no heartbeats from the frozen worker) and the rescuer requeues the job
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> !db.queue.rescueExpiredLeases().isEmpty());
            Job requeued = db.get(interrupted.id());
            assertThat(requeued.status()).as("interruption %d", freeze).isEqualTo(JobStatus.QUEUED);
            assertThat(requeued.failures())
                    .as("progress was kept: no attempt used up")
                    .isZero();
            assertThat(requeued.interruptions()).isEqualTo(freeze);
            assertThat(requeued.lastInterruptionCode()).isEqualTo("LEASE_EXPIRED");
            assertThat(requeued.errorCode()).isNull();
        }
        startWorker("healthy", settings, -1, null);
        await().atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> db.get(interrupted.id()).status().isTerminal());
        Job done = db.get(interrupted.id());
        assertThat(done.status())
                .as(done.errorCode() + " " + done.errorMessage())
                .isEqualTo(JobStatus.SUCCEEDED);
        assertThat(done.attempt()).isEqualTo(FREEZES + 1);
        assertThat(done.maxAttempts()).isEqualTo(DEFAULT_MAX_ATTEMPTS);
        assertThat(done.resumedFromStep()).isEqualTo(FREEZES * CHECKPOINT_EVERY);
        assertThat(done.step()).isEqualTo(STEPS);
        assertThat(db.artifacts.list(done.id(), ArtifactKind.CHECKPOINT))
                .as("checkpoints deleted at the end")
                .isEmpty();

        Job reference = submit();
        await().atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> db.get(reference.id()).status().isTerminal());
        assertThat(db.get(reference.id()).attempt()).isEqualTo(1);
        assertThat(glb(done.id())).as("resumed five times = uninterrupted").isEqualTo(glb(reference.id()));
    }

    private static Job submit() {
        return db.repository
                .submit(
                        new NewJob(
                                "a red apple",
                                null,
                                11,
                                Preset.PREVIEW.wireName(),
                                STEPS,
                                0,
                                GenerationOptions.resolve(Preset.PREVIEW.wireName(), STEPS, null)
                                        .toMap(),
                                DEFAULT_MAX_ATTEMPTS,
                                db.owner,
                                null,
                                null),
                        -1)
                .job();
    }

    private static byte[] glb(UUID job) throws Exception {
        ArtifactInfo info =
                db.artifacts.find(job, ArtifactKind.OUTPUT, "model.glb").orElseThrow();
        try (InputStream in = db.artifacts.open(info, 0, info.sizeBytes())) {
            return in.readAllBytes();
        }
    }

    /** A worker on its own heartbeat timer; freezeAt > 0: it freezes (heartbeats stop, thread hangs) after that step. */
    private static void startWorker(String id, ModelSettings settings, int freezeAt, CountDownLatch frozen) {
        ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor();
        CountDownLatch thaw = new CountDownLatch(1);
        JobWorker worker = new JobWorker(
                id,
                "cpu",
                db.queue,
                db.artifacts,
                device -> {
                    CpuThreads.apply(1);
                    JobGenerator real = new Vlm3dJobGenerator(PipelineModels.load(settings, Device.cpu()));
                    return freezeAt < 0 ? real : new Freezing(real, heartbeats, freezeAt, frozen, thaw);
                },
                new WorkerMetrics(new SimpleMeterRegistry()),
                heartbeats);
        Thread thread = new Thread(worker, id);
        thread.setDaemon(true);
        thread.start();
        cleanup.add(() -> {
            worker.requestStop();
            thaw.countDown();
            heartbeats.shutdownNow();
            try {
                thread.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** The real generator, frozen after one step: as if its process was SIGSTOPped or its node preempted. */
    private record Freezing(
            JobGenerator real,
            ScheduledExecutorService heartbeats,
            int freezeAt,
            CountDownLatch frozen,
            CountDownLatch thaw)
            implements JobGenerator {

        @Override
        public GenerationOutcome generate(GenerationRequest request, GenerationContext context) throws Exception {
            return real.generate(request, new GenerationContext() {
                @Override
                public String device() {
                    return context.device();
                }

                @Override
                public void reportStep(int step, int totalSteps, String stage, Map<String, Double> metrics) {
                    context.reportStep(step, totalSteps, stage, metrics);
                    if (step == freezeAt) {
                        heartbeats.shutdownNow();
                        frozen.countDown();
                        try {
                            thaw.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }

                @Override
                public StopSignal stopRequested() {
                    return context.stopRequested();
                }

                @Override
                public Optional<Checkpoint> loadCheckpoint() {
                    return context.loadCheckpoint();
                }

                @Override
                public void saveCheckpoint(int step, byte[] state) {
                    context.saveCheckpoint(step, state);
                }

                @Override
                public void storeArtifact(String name, String contentType, byte[] content) {
                    context.storeArtifact(name, contentType, content);
                }

                @Override
                public void storeArtifact(String name, String contentType, Path file) {
                    context.storeArtifact(name, contentType, file);
                }
            });
        }

        @Override
        public void close() throws Exception {
            real.close();
        }
    }
}
