package dev.vlm3d.artifacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.Lease;
import dev.vlm3d.testsupport.QueueFixture;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Both artifact stores: fenced writes, ranged reads across chunk boundaries, replacement and purge. */
class ArtifactStoreTest {

    private static QueueFixture db;
    @TempDir
    static Path dir;

    @BeforeAll
    static void setUp() {
        db = new QueueFixture(ArtifactStoreTest.class, QueueFixture.fastProperties(), 4);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        db.clear();
    }

    static Stream<Arguments> stores() throws Exception {
        return Stream.of(Arguments.of("postgres"), Arguments.of("filesystem"));
    }

    private ArtifactStore store(String kind) throws Exception {
        return kind.equals("postgres") ? new PostgresArtifactStore(db.jdbc) : new FilesystemArtifactStore(db.jdbc, dir);
    }

    @ParameterizedTest
    @MethodSource("stores")
    void storesFencedAndReadsRanges(String kind) throws Exception {
        ArtifactStore store = store(kind);
        Job job = db.submit("artifact");
        Lease lease = db.queue.claim("w").orElseThrow().lease();
        byte[] content = new byte[(1 << 20) + 4096]; // crosses the 1 MiB chunk of the Postgres reader
        for (int i = 0; i < content.length; i++) content[i] = (byte) (i % 251);

        ArtifactInfo stored = store.put(job.id(), lease.attempt(), ArtifactKind.OUTPUT, "model.glb", "model/gltf-binary", content)
                .orElseThrow();
        assertThat(stored.sizeBytes()).isEqualTo(content.length);
        assertThat(stored.sha256()).hasSize(64);
        try (InputStream in = store.open(stored, (1 << 20) - 10, 100)) {
            assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(content, (1 << 20) - 10, (1 << 20) + 90));
        }
        try (InputStream in = store.open(stored, 0, content.length)) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }

        byte[] replacement = {9, 8, 7};
        ArtifactInfo replaced = store.put(job.id(), lease.attempt(), ArtifactKind.OUTPUT, "model.glb", "model/gltf-binary",
                replacement).orElseThrow();
        try (InputStream in = store.open(replaced, 0, 3)) {
            assertThat(in.readAllBytes()).isEqualTo(replacement);
        }
        assertThat(store.put(job.id(), lease.attempt() + 1, ArtifactKind.OUTPUT, "other.png", "image/png", replacement))
                .as("a write with another attempt is fenced off").isEmpty();
        assertThat(store.list(job.id(), ArtifactKind.OUTPUT)).extracting(ArtifactInfo::name).containsExactly("model.glb");
        assertThatThrownBy(() -> store.put(job.id(), lease.attempt(), ArtifactKind.OUTPUT, "../escape", "x", replacement))
                .isInstanceOf(IllegalArgumentException.class);

        store.purgeJob(job.id());
        assertThat(store.list(job.id(), ArtifactKind.OUTPUT)).isEmpty();
        if (kind.equals("filesystem")) {
            assertThat(Files.exists(dir.resolve(job.id().toString()))).isFalse();
            try (Stream<Path> left = Files.walk(dir)) {
                assertThat(left.filter(Files::isRegularFile).toList()).isEqualTo(List.of());
            }
        }
    }
}
