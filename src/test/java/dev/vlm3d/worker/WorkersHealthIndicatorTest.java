package dev.vlm3d.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.jobs.JobNotificationListener;
import dev.vlm3d.jobs.JobQueue;
import dev.vlm3d.testsupport.QueueFixture;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** What health says about workers: off, on without an engine, on with one; and the models it shows as wired. */
class WorkersHealthIndicatorTest {

    private static QueueFixture db;

    @BeforeAll
    static void setUp() {
        db = new QueueFixture(WorkersHealthIndicatorTest.class, QueueFixture.fastProperties(), 4);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    private Health health(boolean enabled, boolean withEngine) {
        JobNotificationListener listener = new JobNotificationListener(db.dataSource, db.channels);
        WorkerPool pool = new WorkerPool(
                new WorkerProperties(enabled, 1, List.of("gpu0"), Duration.ofSeconds(1)),
                db.queue,
                db.artifacts,
                withEngine ? device -> (request, context) -> null : null,
                new WorkerMetrics(new SimpleMeterRegistry()),
                listener);
        pool.start();
        try {
            return new WorkersHealthIndicator(pool, listener, Map.of("vlm_dir", "/models/vlm")).health();
        } finally {
            pool.stop();
        }
    }

    @Test
    void withoutAnEngineHealthIsUnknownWithEngineUnavailable() {
        Health health = health(true, false);
        assertThat(health.getStatus()).isEqualTo(Status.UNKNOWN);
        assertThat(health.getDetails())
                .containsEntry("engine", WorkerPool.ENGINE_UNAVAILABLE)
                .containsEntry("vlm_dir", "/models/vlm");
    }

    @Test
    void disabledWorkersAreHealthy() {
        Health health = health(false, false);
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("enabled", false);
    }

    @Test
    void withAnEngineEachWorkerIsListed() {
        Health health = health(true, true);
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("engine", "available").containsKey("workers");
    }

    /** WorkerConfiguration shows what the generator factory bean says it loads, and nothing without one. */
    @Test
    void theWiredIndicatorShowsTheModelsOfTheGeneratorFactory() {
        JobGeneratorFactory factory = new JobGeneratorFactory() {
            @Override
            public JobGenerator create(String device) {
                return (request, context) -> null;
            }

            @Override
            public Map<String, String> models() {
                return Map.of("vlm_dir", "/models/vlm", "diffusion_dir", "/models/mvdream");
            }
        };
        ApplicationContextRunner runner = new ApplicationContextRunner()
                .withUserConfiguration(WorkerConfiguration.class)
                .withPropertyValues("vlm3d.worker.enabled=false")
                .withBean(JobQueue.class, () -> db.queue)
                .withBean(ArtifactStore.class, () -> db.artifacts)
                .withBean(JobNotificationListener.class, () -> new JobNotificationListener(db.dataSource, db.channels))
                .withBean(MeterRegistry.class, SimpleMeterRegistry::new);
        runner.withBean(JobGeneratorFactory.class, () -> factory)
                .run(context -> assertThat(context.getBean(WorkersHealthIndicator.class)
                                .health()
                                .getDetails())
                        .containsEntry("vlm_dir", "/models/vlm")
                        .containsEntry("diffusion_dir", "/models/mvdream"));
        runner.run(context -> {
            Health health = context.getBean(WorkersHealthIndicator.class).health();
            assertThat(health.getDetails()).containsOnlyKeys("enabled", "notifications");
            assertThat(context.getBean(WorkerPool.class).engineAvailable()).isFalse();
        });
    }
}
