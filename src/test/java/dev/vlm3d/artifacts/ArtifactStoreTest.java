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
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every artifact store keeps: fenced writes, ranged reads across chunk boundaries, writes from a file
 * (large enough for an S3 multipart upload), replacement without leftover bytes, deletion and purge. Each store's
 * subclass says how to build it and how many stored blobs of a job it can see beside the metadata rows.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ArtifactStoreTest {

    /** Larger than the 5 MiB S3 part: the S3 subclass uploads it in three parts. */
    static final int LARGE = 11 << 20;

    QueueFixture db;
    ArtifactStore store;

    @TempDir
    Path temp;

    abstract ArtifactStore createStore() throws Exception;

    /** Blobs the store holds for the job (files, objects, or database values), counted without the metadata rows. */
    abstract int storedBlobs(UUID jobId) throws Exception;

    @BeforeAll
    void setUpStore() throws Exception {
        db = new QueueFixture(getClass(), QueueFixture.fastProperties(), 4);
        store = createStore();
    }

    @AfterAll
    void tearDownStore() throws Exception {
        if (store instanceof AutoCloseable closeable) closeable.close();
        db.close();
    }

    @BeforeEach
    void clean() {
        db.clear();
    }

    static byte[] pattern(int size) {
        byte[] content = new byte[size];
        for (int i = 0; i < content.length; i++) content[i] = (byte) (i % 251);
        return content;
    }

    static byte[] read(ArtifactStore store, ArtifactInfo artifact, long offset, long length) throws Exception {
        try (InputStream in = store.open(artifact, offset, length)) {
            return in.readAllBytes();
        }
    }

    @Test
    void storesFencedAndReadsRanges() throws Exception {
        Job job = db.submit("artifact");
        Lease lease = db.queue.claim("w").orElseThrow().lease();
        byte[] content = pattern((1 << 20) + 4096); // crosses the 1 MiB chunk of the Postgres reader

        ArtifactInfo stored = store.put(
                        job.id(), lease.attempt(), ArtifactKind.OUTPUT, "model.glb", "model/gltf-binary", content)
                .orElseThrow();
        assertThat(stored.sizeBytes()).isEqualTo(content.length);
        assertThat(stored.sha256()).isEqualTo(ArtifactRows.sha256Hex(content));
        assertThat(read(store, stored, (1 << 20) - 10, 100))
                .isEqualTo(Arrays.copyOfRange(content, (1 << 20) - 10, (1 << 20) + 90));
        assertThat(read(store, stored, 0, content.length)).isEqualTo(content);
        assertThat(read(store, stored, content.length - 1, 1)).containsExactly(content[content.length - 1]);
        assertThat(read(store, stored, 5, 0)).isEmpty();

        byte[] replacement = {9, 8, 7};
        ArtifactInfo replaced = store.put(
                        job.id(), lease.attempt(), ArtifactKind.OUTPUT, "model.glb", "model/gltf-binary", replacement)
                .orElseThrow();
        assertThat(read(store, replaced, 0, 3)).isEqualTo(replacement);
        assertThat(storedBlobs(job.id())).as("the replaced content is gone").isEqualTo(1);
        assertThat(store.put(job.id(), lease.attempt() + 1, ArtifactKind.OUTPUT, "other.png", "image/png", replacement))
                .as("a write with another attempt is fenced off")
                .isEmpty();
        assertThat(storedBlobs(job.id()))
                .as("a fenced-off write leaves nothing behind")
                .isEqualTo(1);
        assertThat(store.list(job.id(), ArtifactKind.OUTPUT))
                .extracting(ArtifactInfo::name)
                .containsExactly("model.glb");
        assertThatThrownBy(
                        () -> store.put(job.id(), lease.attempt(), ArtifactKind.OUTPUT, "../escape", "x", replacement))
                .isInstanceOf(IllegalArgumentException.class);

        store.purgeJob(job.id());
        assertThat(store.list(job.id(), ArtifactKind.OUTPUT)).isEmpty();
        assertThat(storedBlobs(job.id())).isZero();
    }

    @Test
    void storesALargeFileAndReadsItBack() throws Exception {
        Job job = db.submit("large");
        Lease lease = db.queue.claim("w").orElseThrow().lease();
        byte[] content = pattern(LARGE);
        Path file = temp.resolve("model.glb");
        Files.write(file, content);

        ArtifactInfo stored = store.put(
                        job.id(), lease.attempt(), ArtifactKind.OUTPUT, "model.glb", "model/gltf-binary", file)
                .orElseThrow();
        assertThat(stored.sizeBytes()).isEqualTo(LARGE);
        assertThat(stored.sha256()).isEqualTo(ArtifactRows.sha256Hex(content));
        assertThat(stored.contentType()).isEqualTo("model/gltf-binary");
        int across = (5 << 20) - 7; // across the first S3 part boundary
        assertThat(read(store, stored, across, 4096)).isEqualTo(Arrays.copyOfRange(content, across, across + 4096));
        assertThat(read(store, stored, 0, LARGE)).isEqualTo(content);
        store.purgeJob(job.id());
        assertThat(storedBlobs(job.id())).isZero();
    }

    @Test
    void deletesOneArtifactAndKeepsTheOthers() throws Exception {
        Job job = db.submit("delete");
        Lease lease = db.queue.claim("w").orElseThrow().lease();
        store.put(job.id(), lease.attempt(), ArtifactKind.CHECKPOINT, "state", "application/octet-stream", pattern(64));
        store.put(job.id(), lease.attempt(), ArtifactKind.OUTPUT, "model.glb", "model/gltf-binary", pattern(32));
        assertThat(storedBlobs(job.id())).isEqualTo(2);

        store.delete(job.id(), ArtifactKind.CHECKPOINT, "state");
        store.delete(job.id(), ArtifactKind.CHECKPOINT, "state"); // deleting what is gone is not an error

        assertThat(store.find(job.id(), ArtifactKind.CHECKPOINT, "state")).isEmpty();
        assertThat(store.list(job.id(), ArtifactKind.OUTPUT))
                .extracting(ArtifactInfo::name)
                .containsExactly("model.glb");
        assertThat(storedBlobs(job.id())).isEqualTo(1);
        store.purgeJob(job.id());
        store.purgeJob(job.id());
        assertThat(storedBlobs(job.id())).isZero();
    }
}
