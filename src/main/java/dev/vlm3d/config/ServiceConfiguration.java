package dev.vlm3d.config;

import dev.vlm3d.artifacts.ArtifactRepository;
import dev.vlm3d.artifacts.ArtifactRows;
import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.artifacts.CheckpointCleanup;
import dev.vlm3d.artifacts.ExpirySweep;
import dev.vlm3d.artifacts.FilesystemArtifactStore;
import dev.vlm3d.artifacts.PostgresArtifactStore;
import dev.vlm3d.artifacts.StorageMetrics;
import dev.vlm3d.jobs.JobChannels;
import dev.vlm3d.jobs.JobNotificationListener;
import dev.vlm3d.jobs.JobQueue;
import dev.vlm3d.jobs.JobRepository;
import dev.vlm3d.jobs.LeaseRescuer;
import dev.vlm3d.jobs.QueueProperties;
import dev.vlm3d.security.ApiKeyRepository;
import dev.vlm3d.security.ApiKeyService;
import dev.vlm3d.security.SecurityProperties;
import dev.vlm3d.worker.JobGeneratorFactory;
import dev.vlm3d.worker.WorkerMetrics;
import dev.vlm3d.worker.WorkerPool;
import dev.vlm3d.worker.WorkerProperties;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/** Wires the queue, artifact store, API keys and workers from {@code vlm3d.*} properties. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({QueueProperties.class, WorkerProperties.class, ArtifactProperties.class,
        SecurityProperties.class, ModelProperties.class, RetentionProperties.class})
class ServiceConfiguration {

    @Bean
    JobChannels jobChannels(JdbcClient jdbc) {
        return JobChannels.forSchema(jdbc.sql("SELECT current_schema()").query(String.class).single());
    }

    @Bean
    TransactionTemplate jobTransactions(PlatformTransactionManager transactionManager) {
        return new TransactionTemplate(transactionManager);
    }

    @Bean
    JobRepository jobRepository(JdbcClient jdbc, TransactionTemplate jobTransactions, JsonMapper json, JobChannels channels) {
        return new JobRepository(jdbc, jobTransactions, json, channels);
    }

    @Bean
    JobQueue jobQueue(JdbcClient jdbc, TransactionTemplate jobTransactions, JsonMapper json, JobChannels channels,
                      QueueProperties properties) {
        return new JobQueue(jdbc, jobTransactions, json, channels, properties);
    }

    @Bean
    JobNotificationListener jobNotificationListener(DataSource dataSource, JobChannels channels) {
        return new JobNotificationListener(dataSource, channels);
    }

    @Bean
    CheckpointCleanup checkpointCleanup(JdbcClient jdbc, ArtifactStore store, ArtifactProperties properties) {
        return new CheckpointCleanup(jdbc, store, properties.retainFailedCheckpoints());
    }

    @Bean
    LeaseRescuer leaseRescuer(JobQueue queue, QueueProperties properties, CheckpointCleanup cleanup) {
        return new LeaseRescuer(queue, properties.rescueInterval(), cleanup::deleteFinished);
    }

    @Bean
    BackgroundServices backgroundServices(JobNotificationListener listener, LeaseRescuer rescuer, ExpirySweep sweep) {
        return new BackgroundServices(new BackgroundServices.Service(listener::start, listener::close),
                new BackgroundServices.Service(rescuer::start, rescuer::close),
                new BackgroundServices.Service(sweep::start, sweep::close));
    }

    @Bean
    ArtifactStore artifactStore(ArtifactProperties properties, JdbcClient jdbc, ArtifactRepository artifacts)
            throws IOException {
        ArtifactRows rows = new ArtifactRows(jdbc, artifacts);
        return switch (properties.store()) {
            case "filesystem" -> new FilesystemArtifactStore(rows, properties.dir());
            case "s3" -> S3ArtifactStores.create(rows, properties.s3());
            default -> new PostgresArtifactStore(rows);
        };
    }

    @Bean
    ExpirySweep expirySweep(JdbcClient jdbc, TransactionTemplate jobTransactions, ArtifactStore store, JobChannels channels,
                            RetentionProperties retention) {
        return new ExpirySweep(jdbc, jobTransactions, store, channels.changed(), retention.sweepBatch(),
                retention.sweepInterval());
    }

    @Bean(destroyMethod = "close")
    StorageMetrics storageMetrics(ArtifactRepository artifacts, MeterRegistry registry, RetentionProperties retention) {
        return new StorageMetrics(artifacts, registry, retention.storageMetricsRefresh());
    }

    @Bean
    ApiKeyService apiKeyService(ApiKeyRepository keys, SecurityProperties properties) {
        return new ApiKeyService(keys, properties);
    }

    /** Runs after Flyway has migrated, before the application reports ready. */
    @Bean
    ApplicationRunner bootstrapAdminKey(ApiKeyService keys) {
        return args -> keys.ensureBootstrapAdmin();
    }

    @Bean
    WorkerMetrics workerMetrics(MeterRegistry registry) {
        return new WorkerMetrics(registry);
    }

    @Bean
    WorkerPool workerPool(WorkerProperties properties, JobQueue queue, ArtifactStore store,
                          ObjectProvider<JobGeneratorFactory> generators, WorkerMetrics metrics,
                          JobNotificationListener notifications) {
        return new WorkerPool(properties, queue, store, generators.getIfAvailable(), metrics, notifications);
    }

    @Bean(destroyMethod = "close")
    QueueDepthMetrics queueDepthMetrics(JobRepository jobs, MeterRegistry registry) {
        return new QueueDepthMetrics(jobs, registry, 5);
    }

    @Bean
    WorkersHealthIndicator workersHealthIndicator(WorkerPool pool, JobNotificationListener listener, ModelProperties models) {
        return new WorkersHealthIndicator(pool, listener, models);
    }
}
