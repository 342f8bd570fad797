package dev.vlm3d.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.jobs.JobNotificationListener;
import dev.vlm3d.testsupport.QueueFixture;
import dev.vlm3d.worker.WorkerMetrics;
import dev.vlm3d.worker.WorkerPool;
import dev.vlm3d.worker.WorkerProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** What health says about workers: off, on without an engine, on with one. */
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
        WorkerPool pool = new WorkerPool(new WorkerProperties(enabled, 1, List.of("gpu0"), Duration.ofSeconds(1)), db.queue,
                db.artifacts, withEngine ? device -> (request, context) -> null : null,
                new WorkerMetrics(new SimpleMeterRegistry()), listener);
        pool.start();
        try {
            return new WorkersHealthIndicator(pool, listener, new ModelProperties(Path.of("/models/vlm"), null)).health();
        } finally {
            pool.stop();
        }
    }

    @Test
    void withoutAnEngineHealthIsUnknownWithEngineUnavailable() {
        Health health = health(true, false);
        assertThat(health.getStatus()).isEqualTo(Status.UNKNOWN);
        assertThat(health.getDetails()).containsEntry("engine", WorkerPool.ENGINE_UNAVAILABLE)
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
}
