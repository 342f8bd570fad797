package dev.vlm3d.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.jobs.ClaimedJob;
import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobStatus;
import dev.vlm3d.jobs.NewJob;
import dev.vlm3d.testsupport.QueueFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Retention at the queue level: expires_at follows a job's time to live from the moment it finishes, the sweep
 * expires only finished jobs that are due, deletes their outputs and retained checkpoints (bytes included, with the
 * filesystem store) and keeps their metadata, and two replicas sweeping at once expire each job exactly once.
 */
class ExpirySweepTest {

    private static QueueFixture db;
    private static TransactionTemplate tx;

    @TempDir
    static Path dir;

    @BeforeAll
    static void setUp() {
        db = new QueueFixture(ExpirySweepTest.class, QueueFixture.fastProperties(), 8);
        tx = new TransactionTemplate(new DataSourceTransactionManager(db.dataSource));
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clear() {
        db.clear();
    }

    private ExpirySweep sweep(ArtifactStore store) {
        return new ExpirySweep(db.jdbc, tx, store, db.channels.changed(), 100, Duration.ofSeconds(1));
    }

    private Job submit(String prompt, Long ttlSeconds) {
        return db.repository
                .submit(
                        new NewJob(prompt, null, 1, null, 10, 0, Map.of(), 1, db.owner, null, null, null, ttlSeconds),
                        -1)
                .job();
    }

    /** Runs the job to SUCCEEDED with an output, or to FAILED with its checkpoint left behind (as if retained). */
    private Job finish(ArtifactStore store, Job job, boolean succeed) throws Exception {
        ClaimedJob claimed = db.queue.claim("w").orElseThrow();
        assertThat(claimed.job().id()).isEqualTo(job.id());
        store.put(
                job.id(),
                claimed.lease().attempt(),
                ArtifactKind.CHECKPOINT,
                "state",
                "application/octet-stream",
                new byte[2048]);
        store.put(
                job.id(),
                claimed.lease().attempt(),
                ArtifactKind.OUTPUT,
                "model.glb",
                "model/gltf-binary",
                new byte[1000]);
        if (succeed) {
            db.queue.complete(claimed.lease());
        } else {
            db.queue.failPermanently(claimed.lease(), "GENERATOR_ERROR", "boom");
        }
        return db.get(job.id());
    }

    private int artifacts(UUID job) {
        return db.jdbc
                .sql("SELECT count(*) FROM artifacts WHERE job_id = :id")
                .param("id", job)
                .query(Integer.class)
                .single();
    }

    @Test
    void expiresAtIsSetWhenTheJobFinishesFromItsTtl() throws Exception {
        ArtifactStore store = new PostgresArtifactStore(db.artifactRows);
        Job job = submit("ttl", 3600L);
        assertThat(job.ttlSeconds()).isEqualTo(3600L);
        assertThat(job.expiresAt()).as("no expiry while it has not finished").isNull();

        Job done = finish(store, job, true);
        assertThat(done.expiresAt()).isEqualTo(done.finishedAt().plusSeconds(3600));

        Job forever = finish(store, submit("forever", null), true);
        assertThat(forever.expiresAt()).isNull();
        assertThat(sweep(store).sweepOnce().expired()).isEmpty();
    }

    @Test
    void aShortTtlExpiresFinishedJobsAndTheirFilesAndLeavesTheRestAlone() throws Exception {
        Path root = Files.createDirectories(dir.resolve("short-ttl"));
        ArtifactStore store = new FilesystemArtifactStore(db.artifactRows, root);
        Job succeeded = finish(store, submit("short, succeeded", 1L), true);
        Job failed = finish(store, submit("short, failed", 1L), false);
        Job kept = finish(store, submit("long", 3600L), true);
        Job running = submit("short, still running", 1L);
        ClaimedJob claimed = db.queue.claim("w").orElseThrow();
        store.put(
                running.id(),
                claimed.lease().attempt(),
                ArtifactKind.CHECKPOINT,
                "state",
                "application/octet-stream",
                new byte[16]);
        assertThat(artifacts(failed.id()))
                .as("the failed job's checkpoint stands for a retained one")
                .isEqualTo(2);

        Thread.sleep(1100); // the short TTL runs out
        ExpirySweep.Pass pass = sweep(store).sweepOnce();

        assertThat(pass.expired()).containsExactlyInAnyOrder(succeeded.id(), failed.id());
        assertThat(pass.purged()).isEqualTo(2);
        for (Job job : List.of(succeeded, failed)) {
            Job expired = db.get(job.id());
            assertThat(expired.status()).isEqualTo(JobStatus.EXPIRED);
            assertThat(expired.prompt()).isEqualTo(job.prompt());
            assertThat(expired.finishedAt()).isEqualTo(job.finishedAt());
            assertThat(expired.expiresAt()).isEqualTo(job.expiresAt());
            assertThat(expired.stage())
                    .as("the stage still says how it finished")
                    .isEqualTo(job.stage());
            assertThat(artifacts(job.id())).isZero();
            assertThat(Files.exists(root.resolve(job.id().toString()))).isFalse();
        }
        assertThat(db.get(failed.id()).errorCode()).isEqualTo("GENERATOR_ERROR");
        assertThat(db.get(kept.id()).status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(artifacts(kept.id())).isEqualTo(2);
        assertThat(db.get(running.id()).status())
                .as("a running job does not expire")
                .isEqualTo(JobStatus.RUNNING);
        assertThat(artifacts(running.id())).isEqualTo(1);
        try (Stream<Path> files = Files.walk(root)) {
            assertThat(files.filter(Files::isRegularFile)
                            .map(p -> root.relativize(p).getName(0).toString())
                            .distinct()
                            .toList())
                    .containsExactlyInAnyOrder(
                            kept.id().toString(), running.id().toString());
        }
        assertThat(sweep(store).sweepOnce())
                .as("a second pass finds nothing")
                .isEqualTo(new ExpirySweep.Pass(List.of(), 0));
    }

    @Test
    void aPurgeCutShortIsFinishedByTheNextPass() throws Exception {
        ArtifactStore postgres = new PostgresArtifactStore(db.artifactRows);
        Job job = finish(postgres, submit("half-purged", 1L), true);
        ArtifactStore failing = new PostgresArtifactStore(db.artifactRows) {
            @Override
            public void purgeJob(UUID jobId) {
                super.purgeJob(jobId);
                throw new IllegalStateException("object store unreachable");
            }
        };
        Thread.sleep(1100);

        ExpirySweep.Pass first = sweep(failing).sweepOnce();
        assertThat(first.expired()).containsExactly(job.id());
        assertThat(first.purged()).isZero();
        assertThat(db.get(job.id()).status())
                .as("expired even though its files could not go yet")
                .isEqualTo(JobStatus.EXPIRED);
        assertThat(artifacts(job.id())).as("the failed purge was rolled back").isEqualTo(2);

        assertThat(sweep(postgres).sweepOnce().purged()).isEqualTo(1);
        assertThat(artifacts(job.id())).isZero();
    }

    @Test
    void replicasSweepingAtOnceExpireEachJobOnce() throws Exception {
        ArtifactStore store = new PostgresArtifactStore(db.artifactRows);
        List<UUID> jobs = new ArrayList<>();
        for (int i = 0; i < 30; i++)
            jobs.add(finish(store, submit("job " + i, 1L), true).id());
        Thread.sleep(1100);

        List<CompletableFuture<ExpirySweep.Pass>> replicas = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            ExpirySweep replica = new ExpirySweep(db.jdbc, tx, store, db.channels.changed(), 5, Duration.ofSeconds(1));
            replicas.add(CompletableFuture.supplyAsync(() -> {
                List<UUID> expired = new ArrayList<>();
                int purged = 0;
                for (int pass = 0; pass < 10; pass++) {
                    ExpirySweep.Pass p = replica.sweepOnce();
                    expired.addAll(p.expired());
                    purged += p.purged();
                }
                return new ExpirySweep.Pass(expired, purged);
            }));
        }
        List<UUID> expired = new ArrayList<>();
        int purged = 0;
        for (CompletableFuture<ExpirySweep.Pass> replica : replicas) {
            expired.addAll(replica.get().expired());
            purged += replica.get().purged();
        }
        Set<UUID> distinct = new HashSet<>(expired);
        assertThat(expired).as("no job is expired twice").hasSize(distinct.size());
        assertThat(distinct).containsExactlyInAnyOrderElementsOf(jobs);
        assertThat(purged).as("each job's artifacts are purged once").isEqualTo(jobs.size());
        assertThat(db.jdbc
                        .sql("SELECT count(*) FROM artifacts")
                        .query(Integer.class)
                        .single())
                .isZero();
    }
}
