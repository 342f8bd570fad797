package dev.vlm3d.webhooks;

import dev.vlm3d.jobs.JobNotificationListener;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;

/** Wires webhook delivery from {@code vlm3d.webhooks.*}; the dispatcher runs on every replica that enables it. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(WebhookProperties.class)
public class WebhookConfiguration {

    @Bean
    WebhookTargets webhookTargets(WebhookProperties properties) {
        return new WebhookTargets(properties.allowList());
    }

    @Bean
    WebhookDeliveries webhookDeliveries(JdbcClient jdbc, WebhookHistory history) {
        return new WebhookDeliveries(jdbc, history);
    }

    @Bean(destroyMethod = "close")
    WebhookMetrics webhookMetrics(MeterRegistry registry, WebhookDeliveries deliveries) {
        return new WebhookMetrics(registry, deliveries, 5);
    }

    @Bean
    WebhookDispatcher webhookDispatcher(
            WebhookDeliveries deliveries,
            WebhookTargets targets,
            WebhookProperties properties,
            WebhookMetrics metrics) {
        return new WebhookDispatcher(deliveries, targets, properties, metrics, replicaName());
    }

    @Bean
    SmartLifecycle webhookLifecycle(
            WebhookDispatcher dispatcher, WebhookProperties properties, JobNotificationListener notifications) {
        // every job change may have written an outbox row in its transaction: look at once rather than at the next poll
        notifications.onChanged(id -> dispatcher.wakeUp());
        return new SmartLifecycle() {
            private volatile boolean running;

            @Override
            public void start() {
                if (properties.dispatcherEnabled()) dispatcher.start();
                running = true;
            }

            @Override
            public void stop() {
                dispatcher.close();
                running = false;
            }

            @Override
            public boolean isRunning() {
                return running;
            }

            @Override
            public int getPhase() {
                // stops after the workers, whose last transitions (a cancel, a hand-back) may still write events
                return SmartLifecycle.DEFAULT_PHASE - 1536;
            }
        };
    }

    private static String replicaName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown";
        }
        return host + "/" + ProcessHandle.current().pid();
    }
}
