package dev.vlm3d.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm3d.testsupport.QueueFixture;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Evaluation jobs in the generation queue (db/migration/V5__evaluations.sql): kinds, dependencies, batches. */
class EvaluationQueueTest {

    private static QueueFixture db;

    @BeforeAll
    static void setUp() {
        db = new QueueFixture(EvaluationQueueTest.class, QueueFixture.fastProperties(), 4);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        db.clear();
    }

    private static NewJob generation(String prompt) {
        return new NewJob(prompt, null, 1, null, 10, 0, Map.of(), 3, db.owner, null, null);
    }

    @Test
    void anEvaluationIsClaimedOnlyOnceEveryJobItDependsOnHasFinished() {
        List<Job> stored = db.repository.submitAll(
                List.of(generation("a"), generation("b")),
                jobs -> new NewJob(
                        "eval",
                        null,
                        0,
                        null,
                        2,
                        9,
                        Map.of("mode", "tournament"),
                        3,
                        db.owner,
                        null,
                        null,
                        Job.EVALUATION,
                        jobs.stream().map(Job::id).toList(),
                        null,
                        null),
                -1);
        assertThat(stored).hasSize(3);
        Job eval = stored.get(2);
        assertThat(eval.kind()).isEqualTo(Job.EVALUATION);
        assertThat(eval.dependsOn())
                .containsExactly(stored.get(0).id(), stored.get(1).id());
        assertThat(stored.get(0).kind()).isEqualTo(Job.GENERATION);

        // priority 9 does not let it pass the generation jobs it waits for (those two share one created_at, the
        // transaction's, so either may come first)
        ClaimedJob first = db.queue.claim("w1").orElseThrow();
        ClaimedJob second = db.queue.claim("w2").orElseThrow();
        assertThat(List.of(first.job().id(), second.job().id()))
                .containsExactlyInAnyOrder(stored.get(0).id(), stored.get(1).id());
        assertThat(db.queue.claim("w3")).isEmpty();
        db.queue.complete(first.lease());
        assertThat(db.queue.claim("w3")).isEmpty();
        // a failed dependency also counts as finished: the evaluation skips what it lacks
        db.queue.failPermanently(second.lease(), "EMPTY_MESH", "nothing");
        Optional<ClaimedJob> third = db.queue.claim("w3");
        assertThat(third).isPresent();
        assertThat(third.get().job().id()).isEqualTo(eval.id());
        assertThat(third.get().job().kind()).isEqualTo(Job.EVALUATION);
    }

    @Test
    void aBatchOverTheCapLeavesNothingBehind() {
        List<NewJob> three = List.of(generation("a"), generation("b"), generation("c"));
        assertThatThrownBy(() -> db.repository.submitAll(three, 2)).isInstanceOf(QueueCapExceededException.class);
        assertThat(db.jdbc.sql("SELECT count(*) FROM jobs").query(Long.class).single())
                .isZero();
        assertThat(db.jdbc
                        .sql("SELECT queued_jobs FROM api_keys WHERE id = :id")
                        .param("id", db.owner)
                        .query(Integer.class)
                        .single())
                .isZero();
        assertThat(db.repository.submitAll(three, 3)).hasSize(3);
        // plain submissions are generation jobs without dependencies, as before
        Job plain = db.submit("d");
        assertThat(plain.kind()).isEqualTo(Job.GENERATION);
        assertThat(plain.dependsOn()).isEmpty();
    }
}
