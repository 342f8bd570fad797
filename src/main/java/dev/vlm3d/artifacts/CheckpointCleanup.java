package dev.vlm3d.artifacts;

import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Deletes the checkpoints of finished jobs, whichever way they finished: by their worker, by the lease rescuer
 * (FAILED or CANCELLED without a live worker), by a cancel of a queued job that had run before, or by a worker that
 * died between its final transition and its own deletion. Run after every rescue pass, on every replica (a row
 * another replica deletes first is simply gone). With {@code retainFailed}, the last checkpoint of a FAILED job is
 * kept (to inspect it, or to resume it by hand); SUCCEEDED and CANCELLED jobs never keep theirs.
 */
public class CheckpointCleanup {

    private static final Logger log = LoggerFactory.getLogger(CheckpointCleanup.class);
    private static final int BATCH = 100;

    private final JdbcClient jdbc;
    private final ArtifactStore store;
    private final boolean retainFailed;

    public CheckpointCleanup(JdbcClient jdbc, ArtifactStore store, boolean retainFailed) {
        this.jdbc = jdbc;
        this.store = store;
        this.retainFailed = retainFailed;
    }

    /** One pass; returns the number of checkpoints deleted. */
    public int deleteFinished() {
        List<Object[]> found = jdbc.sql("""
                SELECT a.job_id, a.name FROM artifacts a JOIN jobs j ON j.id = a.job_id
                WHERE a.kind = 'CHECKPOINT' AND (j.status IN ('SUCCEEDED', 'CANCELLED')
                                                 OR (j.status = 'FAILED' AND NOT :retainFailed))
                LIMIT :batch""")
                .param("retainFailed", retainFailed)
                .param("batch", BATCH)
                .query((rs, i) -> new Object[] {rs.getObject("job_id", UUID.class), rs.getString("name")})
                .list();
        int deleted = 0;
        for (Object[] row : found) {
            try {
                store.delete((UUID) row[0], ArtifactKind.CHECKPOINT, (String) row[1]);
                deleted++;
            } catch (Exception e) {
                log.warn("could not delete checkpoint {} of finished job {}: {}", row[1], row[0], e.toString());
            }
        }
        if (deleted > 0) log.info("deleted {} checkpoint(s) of finished jobs", deleted);
        return deleted;
    }
}
