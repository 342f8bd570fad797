package dev.vlm3d.jobs;

import io.micrometer.core.instrument.MeterRegistry;
import javax.sql.DataSource;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Wires the job store and the queue from {@code vlm3d.queue.*}: the NOTIFY channels of this schema, the repository,
 * the queue, the listener and the queue-depth gauges. The lease rescuer also deletes checkpoints (artifacts), so it is
 * wired, and the listener started, in {@code dev.vlm3d.config.ServiceConfiguration}.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(QueueProperties.class)
public class JobsConfiguration {

    @Bean
    JobChannels jobChannels(JdbcClient jdbc) {
        return JobChannels.forSchema(
                jdbc.sql("SELECT current_schema()").query(String.class).single());
    }

    @Bean
    TransactionTemplate jobTransactions(PlatformTransactionManager transactionManager) {
        return new TransactionTemplate(transactionManager);
    }

    @Bean
    JobRepository jobRepository(
            JdbcClient jdbc, TransactionTemplate jobTransactions, JsonMapper json, JobChannels channels) {
        return new JobRepository(jdbc, jobTransactions, json, channels);
    }

    @Bean
    JobQueue jobQueue(
            JdbcClient jdbc,
            TransactionTemplate jobTransactions,
            JsonMapper json,
            JobChannels channels,
            QueueProperties properties) {
        return new JobQueue(jdbc, jobTransactions, json, channels, properties);
    }

    @Bean
    JobNotificationListener jobNotificationListener(DataSource dataSource, JobChannels channels) {
        return new JobNotificationListener(dataSource, channels);
    }

    @Bean(destroyMethod = "close")
    QueueDepthMetrics queueDepthMetrics(JobRepository jobs, MeterRegistry registry) {
        return new QueueDepthMetrics(jobs, registry, 5);
    }
}
