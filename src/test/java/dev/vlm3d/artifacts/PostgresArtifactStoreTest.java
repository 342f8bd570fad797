package dev.vlm3d.artifacts;

import java.util.UUID;

/** {@link ArtifactStoreTest} for the bytea store: a job's blobs are its rows' content values. */
class PostgresArtifactStoreTest extends ArtifactStoreTest {

    @Override
    ArtifactStore createStore() {
        return new PostgresArtifactStore(db.artifactRows);
    }

    @Override
    int storedBlobs(UUID jobId) {
        return db.jdbc
                .sql("SELECT count(*) FROM artifacts WHERE job_id = :job AND content IS NOT NULL")
                .param("job", jobId)
                .query(Integer.class)
                .single();
    }
}
