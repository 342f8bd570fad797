package dev.vlm3d.worker;

import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.jobs.JobNotificationListener;
import dev.vlm3d.jobs.JobQueue;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires this replica's workers from {@code vlm3d.worker.*} with the {@link JobGeneratorFactory} bean when there is one
 * (the pipeline's), their metrics and their health.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(WorkerProperties.class)
public class WorkerConfiguration {

    @Bean
    WorkerMetrics workerMetrics(MeterRegistry registry) {
        return new WorkerMetrics(registry);
    }

    @Bean
    WorkerPool workerPool(
            WorkerProperties properties,
            JobQueue queue,
            ArtifactStore store,
            ObjectProvider<JobGeneratorFactory> generators,
            WorkerMetrics metrics,
            JobNotificationListener notifications) {
        return new WorkerPool(properties, queue, store, generators.getIfAvailable(), metrics, notifications);
    }

    @Bean
    WorkersHealthIndicator workersHealthIndicator(
            WorkerPool pool, JobNotificationListener listener, ObjectProvider<JobGeneratorFactory> generators) {
        JobGeneratorFactory factory = generators.getIfAvailable();
        return new WorkersHealthIndicator(pool, listener, factory == null ? Map.of() : factory.models());
    }
}
