package dev.vlm3d.webhooks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operator metrics: {@code vlm3d.webhooks.delivered} and {@code vlm3d.webhooks.failed} (deliveries that reached a
 * final state on this replica), {@code vlm3d.webhooks.attempts{outcome=success|failure}}, and
 * {@code vlm3d.webhooks.pending} (PENDING rows in the shared outbox, refreshed in the background so a scrape never
 * waits on the database).
 */
public class WebhookMetrics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebhookMetrics.class);

    private final Counter delivered;
    private final Counter failed;
    private final Counter attemptSucceeded;
    private final Counter attemptFailed;
    private final AtomicLong pending = new AtomicLong();
    private final ScheduledExecutorService scheduler;

    public WebhookMetrics(MeterRegistry registry, WebhookDeliveries deliveries, long refreshSeconds) {
        delivered = Counter.builder("vlm3d.webhooks.delivered")
                .description("Webhook deliveries answered with a 2xx")
                .register(registry);
        failed = Counter.builder("vlm3d.webhooks.failed")
                .description("Webhook deliveries given up on (retry window over, or target refused)")
                .register(registry);
        attemptSucceeded = Counter.builder("vlm3d.webhooks.attempts")
                .tag("outcome", "success")
                .description("Webhook delivery attempts")
                .register(registry);
        attemptFailed = Counter.builder("vlm3d.webhooks.attempts")
                .tag("outcome", "failure")
                .description("Webhook delivery attempts")
                .register(registry);
        Gauge.builder("vlm3d.webhooks.pending", pending, AtomicLong::get)
                .description("Webhook deliveries waiting for a (next) attempt, all replicas")
                .register(registry);
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vlm3d-webhook-metrics");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(
                () -> {
                    try {
                        pending.set(deliveries.countPending());
                    } catch (RuntimeException e) {
                        log.debug("webhook pending count failed: {}", e.toString());
                    }
                },
                0,
                refreshSeconds,
                TimeUnit.SECONDS);
    }

    void delivered() {
        delivered.increment();
    }

    void failed() {
        failed.increment();
    }

    void attempted(boolean success) {
        (success ? attemptSucceeded : attemptFailed).increment();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
