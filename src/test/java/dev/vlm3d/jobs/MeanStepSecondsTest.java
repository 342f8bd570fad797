package dev.vlm3d.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.testsupport.QueueFixture;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The step time behind a running job's ETA: per attempt, from the recorded steps' times, none before two steps. */
class MeanStepSecondsTest {

    private static QueueFixture db;

    @BeforeAll
    static void setUp() {
        db = new QueueFixture(MeanStepSecondsTest.class, QueueFixture.fastProperties(), 2);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    private static void step(UUID job, int step, int attempt, Instant at) {
        db.jdbc
                .sql("INSERT INTO job_steps (job_id, step, attempt, stage, metrics, recorded_at) "
                        + "VALUES (:job, :step, :attempt, 'optimizing', '{}'::jsonb, :at)")
                .param("job", job)
                .param("step", step)
                .param("attempt", attempt)
                .param("at", Timestamp.from(at))
                .update();
    }

    @Test
    void theMeanIntervalOfEachAttemptsOwnSteps() {
        UUID job = db.submit("a chair").id();
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(db.repository.meanStepSeconds(job, 1)).as("no step yet").isEmpty();
        step(job, 1, 1, t0);
        assertThat(db.repository.meanStepSeconds(job, 1))
                .as("one step has no interval")
                .isEmpty();
        step(job, 2, 1, t0.plusSeconds(2));
        step(job, 3, 1, t0.plusSeconds(5));
        step(job, 4, 1, t0.plusMillis(6_500));
        step(job, 5, 2, t0.plusSeconds(100));
        step(job, 6, 2, t0.plusSeconds(110));
        assertThat(db.repository.meanStepSeconds(job, 1))
                .hasValueSatisfying(s -> assertThat(s).isEqualTo(6.5 / 3));
        assertThat(db.repository.meanStepSeconds(job, 2)).hasValue(10.0);
        assertThat(db.repository.meanStepSeconds(job, 3)).isEmpty();
    }
}
