package dev.vlm3d.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.jobs.Lease;
import dev.vlm3d.testsupport.QueueFixture;
import jakarta.persistence.metamodel.Attribute;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hibernate.SessionFactory;
import org.hibernate.stat.Statistics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The artifacts entity (metadata only) and its repository against the migrated schema of a real PostgreSQL. */
class ArtifactRepositoryTest {

    private static QueueFixture db;
    private static ArtifactRepository artifacts;
    private static Statistics statistics;

    @BeforeAll
    static void setUp() {
        db = new QueueFixture(ArtifactRepositoryTest.class, QueueFixture.fastProperties(), 4);
        artifacts = db.repositories.get(ArtifactRepository.class);
        statistics = db.repositories
                .entityManagerFactory()
                .unwrap(SessionFactory.class)
                .getStatistics();
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        db.clear();
        statistics.clear();
    }

    private Lease running(String prompt) {
        db.submit(prompt);
        return db.queue.claim("w").orElseThrow().lease();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theEntityMapsTheMetadataButNotTheContent() {
        List<String> mapped =
                db.repositories.entityManagerFactory().getMetamodel().entity(Artifact.class).getAttributes().stream()
                        .map(Attribute::getName)
                        .sorted()
                        .toList();
        assertThat(mapped)
                .containsExactly("attempt", "contentType", "createdAt", "filePath", "id", "sha256", "sizeBytes");
    }

    @Test
    void listingIsOneKindOfOneJobInNameOrderAsStored() throws Exception {
        Lease lease = running("listed");
        Lease other = running("other");
        UUID job = lease.jobId();
        db.artifacts.put(job, lease.attempt(), ArtifactKind.OUTPUT, "b.obj", "model/obj", bytes("bb"));
        db.artifacts.put(job, lease.attempt(), ArtifactKind.OUTPUT, "a.glb", "model/gltf-binary", bytes("a"));
        db.artifacts.put(
                job, lease.attempt(), ArtifactKind.CHECKPOINT, "state", "application/octet-stream", bytes("ccc"));
        db.artifacts.put(other.jobId(), other.attempt(), ArtifactKind.OUTPUT, "a.glb", "model/gltf-binary", bytes("x"));
        Instant stored = db.jdbc
                .sql("SELECT max(created_at) FROM artifacts")
                .query(java.time.OffsetDateTime.class)
                .single()
                .toInstant();
        statistics.clear();

        List<ArtifactInfo> outputs = artifacts.findByIdJobIdAndIdKindOrderByIdName(job, ArtifactKind.OUTPUT).stream()
                .map(Artifact::toInfo)
                .toList();

        assertThat(statistics.getPrepareStatementCount()).isEqualTo(1);
        assertThat(statistics.getTransactionCount()).as("an autocommit read").isZero();
        assertThat(outputs).extracting(ArtifactInfo::name).containsExactly("a.glb", "b.obj");
        ArtifactInfo a = outputs.get(0);
        assertThat(a.jobId()).isEqualTo(job);
        assertThat(a.kind()).isEqualTo(ArtifactKind.OUTPUT);
        assertThat(a.contentType()).isEqualTo("model/gltf-binary");
        assertThat(a.sizeBytes()).isEqualTo(1);
        assertThat(a.sha256()).isEqualTo(ArtifactRows.sha256Hex(bytes("a")));
        assertThat(a.attempt()).isEqualTo(lease.attempt());
        assertThat(a.createdAt()).isNotNull().isBeforeOrEqualTo(stored);
        assertThat(a.filePath()).as("content kept in the row").isNull();
        assertThat(artifacts.findByIdJobIdAndIdKindOrderByIdName(job, ArtifactKind.CHECKPOINT))
                .extracting(r -> r.toInfo().name())
                .containsExactly("state");
    }

    @Test
    void aLookUpByKeyIsOneAutocommitStatementAndSeesTheFilePath() throws Exception {
        Lease lease = running("found");
        UUID job = lease.jobId();
        ArtifactRows rows = db.artifactRows;
        rows.recordExternal(
                job,
                lease.attempt(),
                ArtifactKind.OUTPUT,
                "model.glb",
                "model/gltf-binary",
                42,
                "ab",
                job + "/output/model.glb.attempt-1",
                path -> {});
        statistics.clear();

        ArtifactInfo found = artifacts
                .findById(new Artifact.Key(job, ArtifactKind.OUTPUT, "model.glb"))
                .orElseThrow()
                .toInfo();

        assertThat(statistics.getPrepareStatementCount()).isEqualTo(1);
        assertThat(statistics.getTransactionCount()).isZero();
        assertThat(found.filePath()).isEqualTo(job + "/output/model.glb.attempt-1");
        assertThat(found.sizeBytes()).isEqualTo(42);
        assertThat(artifacts.findById(new Artifact.Key(job, ArtifactKind.CHECKPOINT, "model.glb")))
                .as("other kind")
                .isEmpty();
        assertThat(artifacts.findById(new Artifact.Key(job, ArtifactKind.OUTPUT, "other.glb")))
                .isEmpty();
    }

    @Test
    void totalsAreCountedAndSummedByKind() throws Exception {
        assertThat(artifacts.totalsByKind()).isEmpty();
        Lease lease = running("totals");
        UUID job = lease.jobId();
        db.artifacts.put(job, lease.attempt(), ArtifactKind.OUTPUT, "a", "text/plain", new byte[10]);
        db.artifacts.put(job, lease.attempt(), ArtifactKind.OUTPUT, "b", "text/plain", new byte[32]);
        db.artifacts.put(job, lease.attempt(), ArtifactKind.CHECKPOINT, "c", "application/octet-stream", new byte[5]);

        assertThat(artifacts.totalsByKind().stream()
                        .collect(Collectors.toMap(ArtifactRepository.KindTotal::kind, t -> t)))
                .containsEntry(ArtifactKind.OUTPUT, new ArtifactRepository.KindTotal(ArtifactKind.OUTPUT, 2, 42))
                .containsEntry(ArtifactKind.CHECKPOINT, new ArtifactRepository.KindTotal(ArtifactKind.CHECKPOINT, 1, 5))
                .hasSize(2);
    }
}
