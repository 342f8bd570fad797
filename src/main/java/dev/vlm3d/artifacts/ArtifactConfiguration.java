package dev.vlm3d.artifacts;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Wires result storage from {@code vlm3d.artifacts.*} and {@code vlm3d.retention.*}: the store, the checkpoint
 * cleanup and the stored-bytes gauges. The expiry sweep notifies on the jobs' channel, so it is wired in
 * {@code dev.vlm3d.config.ServiceConfiguration}.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({ArtifactProperties.class, RetentionProperties.class})
public class ArtifactConfiguration {

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
    CheckpointCleanup checkpointCleanup(JdbcClient jdbc, ArtifactStore store, ArtifactProperties properties) {
        return new CheckpointCleanup(jdbc, store, properties.retainFailedCheckpoints());
    }

    @Bean(destroyMethod = "close")
    StorageMetrics storageMetrics(ArtifactRepository artifacts, MeterRegistry registry, RetentionProperties retention) {
        return new StorageMetrics(artifacts, registry, retention.storageMetricsRefresh());
    }
}
