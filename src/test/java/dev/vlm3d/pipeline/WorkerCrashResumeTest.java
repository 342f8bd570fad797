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
import dev.vlm3d.jobs.StepRecord;
import dev.vlm3d.options.GenerationOptions;
import dev.vlm3d.options.Preset;
import dev.vlm3d.testsupport.QueueFixture;
import dev.vlm3d.worker.Checkpoint;
import dev.vlm3d.worker.GenerationContext;
import dev.vlm3d.worker.GenerationOutcome;
import dev.vlm3d.worker.GenerationRequest;
import dev.vlm3d.worker.JobGenerator;
import dev.vlm3d.worker.JobGeneratorFactory;
import dev.vlm3d.worker.JobWorker;
import dev.vlm3d.worker.StopSignal;
import dev.vlm3d.worker.WorkerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A worker that dies mid-run without any graceful shutdown (its thread freezes and its heartbeats stop, as when the
 * process is killed): the rescuer requeues the job when the lease lapses, a second worker claims it, resumes the real
 * VLM3D run from the last checkpoint (step 10 of 16, not step 0) and finishes it; the dead worker's late write is
 * rejected.
 */
class WorkerCrashResumeTest {

    private static final int STEPS = 16;
    private static final int CHECKPOINT = 10; // the preview preset checkpoints every 10 steps
    private static final int CRASH_AFTER = 13;

    private static QueueFixture db;

    @BeforeAll
    static void setUp() {
        // short lease so the dead worker's job is rescued within seconds; a long stall timeout so slow CPU steps of
        // the live workers never count as a hang
        db = new QueueFixture(
                WorkerCrashResumeTest.class,
                new QueueProperties(
                        Duration.ofSeconds(3),
                        Duration.ofMillis(300),
                        Duration.ofMillis(200),
                        Duration.ofMillis(200),
                        Duration.ofMillis(200),
                        Duration.ofSeconds(1),
                        3,
                        Duration.ofMinutes(5)),
                10);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void aKilledWorkersJobResumesFromItsCheckpointOnAnotherWorker() throws Exception {
        ModelSettings settings = new ModelSettings(
                null, null, null, Path.of("target/vlm3d-cache").toAbsolutePath(), null, null);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ScheduledExecutorService deadHeartbeats = Executors.newSingleThreadScheduledExecutor();
        ScheduledExecutorService liveHeartbeats = Executors.newSingleThreadScheduledExecutor();
        CountDownLatch crashed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);

        JobGeneratorFactory dying = device -> new Dying(realGenerator(settings), deadHeartbeats, crashed, release);
        JobWorker first =
                new JobWorker("dying", "cpu", db.queue, db.artifacts, dying, new WorkerMetrics(meters), deadHeartbeats);
        Thread firstThread = new Thread(first, "dying-worker");
        firstThread.start();

        Job job = db.repository
                .submit(
                        new NewJob(
                                "a red apple",
                                null,
                                5,
                                Preset.PREVIEW.wireName(),
                                STEPS,
                                0,
                                GenerationOptions.resolve(Preset.PREVIEW.wireName(), STEPS, null)
                                        .toMap(),
                                3,
                                db.owner,
                                null,
                                null),
                        -1)
                .job();
        assertThat(crashed.await(3, TimeUnit.MINUTES))
                .as("the first worker reached step " + CRASH_AFTER)
                .isTrue();
        assertThat(db.get(job.id()).step()).isEqualTo(CRASH_AFTER);

        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> !db.queue.rescueExpiredLeases().isEmpty());
        assertThat(db.get(job.id()).status()).isEqualTo(JobStatus.QUEUED);

        JobWorker second = new JobWorker(
                "healthy",
                "cpu",
                db.queue,
                db.artifacts,
                device -> realGenerator(settings),
                new WorkerMetrics(meters),
                liveHeartbeats);
        Thread secondThread = new Thread(second, "healthy-worker");
        secondThread.start();
        try {
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> db.get(job.id()).status().isTerminal());
            Job done = db.get(job.id());
            assertThat(done.status())
                    .as(done.errorCode() + " " + done.errorMessage())
                    .isEqualTo(JobStatus.SUCCEEDED);
            assertThat(done.attempt()).isEqualTo(2);

            List<StepRecord> steps = db.repository.steps(job.id());
            assertThat(steps)
                    .extracting(StepRecord::step)
                    .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, STEPS)
                            .boxed()
                            .toList());
            // the second attempt's first step is the one after the checkpoint, not step 1
            assertThat(steps.stream()
                            .filter(s -> s.attempt() == 2)
                            .mapToInt(StepRecord::step)
                            .min()
                            .orElseThrow())
                    .isEqualTo(CHECKPOINT + 1);
            assertThat(steps.stream().filter(s -> s.step() <= CHECKPOINT))
                    .allSatisfy(s -> assertThat(s.attempt()).isEqualTo(1));
            Optional<ArtifactInfo> glb = db.artifacts.find(job.id(), ArtifactKind.OUTPUT, "model.glb");
            assertThat(glb).hasValueSatisfying(a -> assertThat(a.attempt()).isEqualTo(2));

            // the dead worker wakes up: its next write is fenced off and changes nothing
            release.countDown();
            await().atMost(Duration.ofMinutes(1))
                    .until(() -> meters.find("vlm3d.jobs.completed")
                                    .tag("outcome", "lease_lost")
                                    .counter()
                            != null);
            assertThat(db.get(job.id()).status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(db.repository.steps(job.id())).hasSize(STEPS);
        } finally {
            release.countDown();
            first.requestStop();
            second.requestStop();
            firstThread.join(60_000);
            secondThread.join(60_000);
            deadHeartbeats.shutdownNow();
            liveHeartbeats.shutdownNow();
        }
    }

    private static JobGenerator realGenerator(ModelSettings settings) {
        CpuThreads.apply(1);
        return new Vlm3dJobGenerator(PipelineModels.load(settings, Device.cpu()));
    }

    /** The real generator whose process "dies" after a step: heartbeats stop and the thread hangs. */
    private record Dying(
            JobGenerator real, ScheduledExecutorService heartbeats, CountDownLatch crashed, CountDownLatch release)
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
                    if (step == CRASH_AFTER && crashed.getCount() > 0) {
                        heartbeats.shutdownNow();
                        crashed.countDown();
                        try {
                            release.await();
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
