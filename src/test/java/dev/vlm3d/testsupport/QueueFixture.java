package dev.vlm3d.testsupport;

import com.zaxxer.hikari.HikariDataSource;
import dev.vlm3d.artifacts.ArtifactRepository;
import dev.vlm3d.artifacts.ArtifactRows;
import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.artifacts.PostgresArtifactStore;
import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobChannels;
import dev.vlm3d.jobs.JobQueue;
import dev.vlm3d.jobs.JobRepository;
import dev.vlm3d.jobs.NewJob;
import dev.vlm3d.jobs.OwnerScope;
import dev.vlm3d.jobs.QueueProperties;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * The queue wired by hand on a test schema, without the application, for fast and independent queue tests; the JPA
 * repositories come from {@link JpaRepositories} over the same pool.
 */
public final class QueueFixture implements AutoCloseable {

    public final String schema;
    public final HikariDataSource dataSource;
    public final JdbcClient jdbc;
    public final JobRepository repository;
    public final JobQueue queue;
    public final JpaRepositories repositories;
    public final ArtifactRows artifactRows;
    public final ArtifactStore artifacts;
    public final JobChannels channels;
    public final UUID owner = UUID.randomUUID();

    public QueueFixture(Class<?> testClass, QueueProperties properties, int poolSize) {
        schema = TestDatabase.freshSchema(testClass);
        dataSource = TestDatabase.migratedDataSource(schema, poolSize);
        jdbc = JdbcClient.create(dataSource);
        TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        JsonMapper json = JsonMapper.builder().build();
        channels = JobChannels.forSchema(schema);
        repository = new JobRepository(jdbc, tx, json, channels);
        queue = new JobQueue(jdbc, tx, json, channels, properties);
        repositories = new JpaRepositories(dataSource);
        artifactRows = new ArtifactRows(jdbc, repositories.get(ArtifactRepository.class));
        artifacts = new PostgresArtifactStore(artifactRows);
        jdbc.sql("INSERT INTO api_keys (id, name, key_prefix, key_hash) VALUES (:id, 'test', 'test', :hash)")
                .param("id", owner)
                .param("hash", owner.toString().getBytes())
                .update();
    }

    /** Short timings so lease expiry and backoff happen within a test. */
    public static QueueProperties fastProperties() {
        return new QueueProperties(
                Duration.ofSeconds(2),
                Duration.ofMillis(300),
                Duration.ofMillis(200),
                Duration.ofMillis(200),
                Duration.ofMillis(200),
                Duration.ofSeconds(1),
                3,
                Duration.ofSeconds(1));
    }

    public void clear() {
        jdbc.sql("TRUNCATE jobs CASCADE").update();
    }

    public Job submit(String prompt) {
        return submit(prompt, 0, 3, 10);
    }

    public Job submit(String prompt, int priority, int maxAttempts, int steps) {
        return repository
                .submit(
                        new NewJob(prompt, null, 42, null, steps, priority, Map.of(), maxAttempts, owner, null, null),
                        -1)
                .job();
    }

    public Job get(UUID id) {
        return repository.find(id, OwnerScope.everyone()).orElseThrow();
    }

    /** Moves a job's lease into the past, as if its worker had stopped heartbeating long ago. */
    public void expireLease(UUID id) {
        jdbc.sql("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = :id")
                .param("id", id)
                .update();
    }

    /** Makes a job waiting for a retry runnable now. */
    public void makeDue(UUID id) {
        jdbc.sql("UPDATE jobs SET run_at = now() WHERE id = :id")
                .param("id", id)
                .update();
    }

    @Override
    public void close() {
        repositories.close();
        dataSource.close();
    }
}
