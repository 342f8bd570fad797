package dev.vlm3d.config;

import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.artifacts.CheckpointCleanup;
import dev.vlm3d.artifacts.ExpirySweep;
import dev.vlm3d.artifacts.RetentionProperties;
import dev.vlm3d.jobs.JobChannels;
import dev.vlm3d.jobs.JobNotificationListener;
import dev.vlm3d.jobs.JobQueue;
import dev.vlm3d.jobs.LeaseRescuer;
import dev.vlm3d.jobs.QueueProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * What joins the jobs and artifacts packages, neither of which may use the other (docs/architecture.md): the lease
 * rescuer (jobs) deletes the checkpoints of the jobs it finished (artifacts), the expiry sweep (artifacts) announces
 * expired jobs on the jobs' NOTIFY channel, and {@link BackgroundServices} runs both with the NOTIFY listener. Each
 * package wires the rest of its own beans ({@code JobsConfiguration}, {@code ArtifactConfiguration}, ...).
 */
@Configuration(proxyBeanMethods = false)
class ServiceConfiguration {

    @Bean
    LeaseRescuer leaseRescuer(JobQueue queue, QueueProperties properties, CheckpointCleanup cleanup) {
        return new LeaseRescuer(queue, properties.rescueInterval(), cleanup::deleteFinished);
    }

    @Bean
    ExpirySweep expirySweep(
            JdbcClient jdbc,
            TransactionTemplate jobTransactions,
            ArtifactStore store,
            JobChannels channels,
            RetentionProperties retention) {
        return new ExpirySweep(
                jdbc, jobTransactions, store, channels.changed(), retention.sweepBatch(), retention.sweepInterval());
    }

    @Bean
    BackgroundServices backgroundServices(JobNotificationListener listener, LeaseRescuer rescuer, ExpirySweep sweep) {
        return new BackgroundServices(
                new BackgroundServices.Service(listener::start, listener::close),
                new BackgroundServices.Service(rescuer::start, rescuer::close),
                new BackgroundServices.Service(sweep::start, sweep::close));
    }
}
