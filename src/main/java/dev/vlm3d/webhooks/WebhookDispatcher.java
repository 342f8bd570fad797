package dev.vlm3d.webhooks;

import dev.vlm3d.jobs.RetryBackoff;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains the webhook outbox: claims due deliveries (SKIP LOCKED, so any number of replicas share the work), POSTs
 * each one signed, records the attempt and schedules the retry. Delivery is at least once: a replica that dies
 * after the receiver answered but before the attempt was recorded leaves the claim to time out, and another replica
 * sends the same delivery (same webhook-id, same body) again.
 * <p>
 * Anything but a 2xx is a failure: a 3xx is not followed (the client never follows redirects, so a public URL
 * cannot bounce the request to an internal one), and a timeout, refused connection or reset counts like a 500.
 */
public class WebhookDispatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);

    private final WebhookDeliveries deliveries;
    private final WebhookTargets targets;
    private final WebhookProperties properties;
    private final WebhookMetrics metrics;
    private final String replica;
    private final RetryBackoff backoff;
    private final HttpClient http;
    private final Semaphore slots;
    private final Semaphore wake = new Semaphore(0);
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean running;
    private Thread poller;
    private ExecutorService senders;

    public WebhookDispatcher(
            WebhookDeliveries deliveries,
            WebhookTargets targets,
            WebhookProperties properties,
            WebhookMetrics metrics,
            String replica) {
        this.deliveries = deliveries;
        this.targets = targets;
        this.properties = properties;
        this.metrics = metrics;
        this.replica = replica;
        this.backoff = new RetryBackoff(properties.retryBaseDelay(), properties.retryMaxDelay());
        this.slots = new Semaphore(properties.concurrency());
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(properties.timeout())
                .build();
    }

    public String replica() {
        return replica;
    }

    public synchronized void start() {
        if (running) return;
        running = true;
        senders = Executors.newFixedThreadPool(properties.concurrency(), r -> {
            Thread t = new Thread(r, "vlm3d-webhook-sender");
            t.setDaemon(true);
            return t;
        });
        poller = new Thread(this::pollLoop, "vlm3d-webhook-poller");
        poller.setDaemon(true);
        poller.start();
    }

    /** Makes the poller look for due deliveries now (a job changed, so the trigger may have written one). */
    public void wakeUp() {
        if (wake.availablePermits() == 0) wake.release();
    }

    private void pollLoop() {
        long backoffMillis = 200;
        while (running) {
            try {
                int free = slots.availablePermits();
                List<WebhookDeliveries.Claimed> claimed =
                        free == 0 ? List.of() : deliveries.claim(free, properties.claimTimeout());
                for (WebhookDeliveries.Claimed delivery : claimed) {
                    slots.acquire();
                    inFlight.incrementAndGet();
                    senders.execute(() -> {
                        try {
                            deliver(delivery);
                        } finally {
                            inFlight.decrementAndGet();
                            slots.release();
                            wakeUp();
                        }
                    });
                }
                backoffMillis = 200;
                // a full batch means more may be due: look again at once
                if (claimed.isEmpty() || claimed.size() < free) {
                    wake.tryAcquire(properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
                    wake.drainPermits();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (!running) return;
                log.warn(
                        "webhook dispatcher {} could not claim deliveries, retrying in {} ms: {}",
                        replica,
                        backoffMillis,
                        e.toString());
                sleep(backoffMillis);
                backoffMillis = Math.min(backoffMillis * 2, 10_000);
            }
        }
    }

    /** One attempt of one claimed delivery. */
    void deliver(WebhookDeliveries.Claimed delivery) {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        Integer status = null;
        String error = null;
        boolean giveUp = false;
        try {
            URI uri = WebhookTargets.parse(delivery.url());
            // again at every attempt: the host may have been re-pointed since the job was submitted
            targets.check(uri);
            if (delivery.secrets().isEmpty()) {
                throw new IllegalStateException("the job's API key has no webhook signing secret (deleted key?)");
            }
            long timestamp = started.getEpochSecond();
            HttpRequest request = HttpRequest.newBuilder(uri)
                    .timeout(properties.timeout())
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "vlm3d-webhooks")
                    .header("webhook-id", delivery.id().toString())
                    .header("webhook-timestamp", Long.toString(timestamp))
                    .header(
                            "webhook-signature",
                            WebhookSigner.header(
                                    delivery.secrets(), delivery.id().toString(), timestamp, delivery.payload()))
                    .POST(HttpRequest.BodyPublishers.ofString(delivery.payload()))
                    .build();
            CompletableFuture<HttpResponse<Void>> response =
                    http.sendAsync(request, HttpResponse.BodyHandlers.discarding());
            try {
                // bounds the whole exchange, body included (the request timeout covers only the wait for headers)
                status = response.get(properties.timeout().toMillis(), TimeUnit.MILLISECONDS)
                        .statusCode();
                if (status < 200 || status > 299) error = "HTTP " + status;
            } catch (TimeoutException e) {
                response.cancel(true);
                error = "timeout after " + properties.timeout().toMillis() + " ms";
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                error = cause instanceof HttpTimeoutException
                        ? "timeout after " + properties.timeout().toMillis() + " ms"
                        : cause.getClass().getSimpleName()
                                + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
            }
        } catch (InterruptedException e) {
            // the replica is being killed: record nothing, the claim times out and another replica retries
            Thread.currentThread().interrupt();
            return;
        } catch (WebhookTargets.RefusedException | IllegalArgumentException | IllegalStateException e) {
            // nothing a retry can fix: the target is now forbidden, or the URL or signing key is unusable
            error = e.getMessage();
            giveUp = true;
        }
        if (!running && Thread.currentThread().isInterrupted()) return;
        long millis = (System.nanoTime() - t0) / 1_000_000;
        WebhookDeliveries.Outcome outcome = new WebhookDeliveries.Outcome(started, millis, status, truncate(error));
        try {
            String result = deliveries.record(
                    delivery,
                    outcome,
                    replica,
                    backoff.delayAfter(delivery.attempt()),
                    properties.retryWindow(),
                    giveUp);
            metrics.attempted(outcome.delivered());
            if ("DELIVERED".equals(result)) {
                metrics.delivered();
            } else if ("FAILED".equals(result)) {
                metrics.failed();
                log.warn(
                        "webhook {} ({} of job {}) FAILED after {} attempts: {}",
                        delivery.id(),
                        delivery.event(),
                        delivery.jobId(),
                        delivery.attempt(),
                        error);
            } else if (result != null) {
                log.info(
                        "webhook {} ({} of job {}) attempt {} failed, retrying: {}",
                        delivery.id(),
                        delivery.event(),
                        delivery.jobId(),
                        delivery.attempt(),
                        error);
            }
        } catch (RuntimeException e) {
            // the attempt stays unrecorded: the claim times out and the delivery is retried
            log.warn(
                    "webhook {} attempt {} could not be recorded: {}", delivery.id(), delivery.attempt(), e.toString());
        }
    }

    /** Deliveries being sent right now by this replica. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Stops claiming and gives in-flight attempts up to the timeout to finish and be recorded; what is still in
     * flight after that is abandoned like a crash would (its claim times out).
     */
    @Override
    public void close() {
        stop(properties.timeout().plusSeconds(1));
    }

    /** Stops at once, as if the process died: in-flight attempts are dropped without being recorded. */
    public void kill() {
        stop(Duration.ZERO);
    }

    private synchronized void stop(Duration grace) {
        if (!running) return;
        running = false;
        poller.interrupt();
        senders.shutdown();
        try {
            if (grace.isZero() || !senders.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                senders.shutdownNow();
            }
            poller.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            senders.shutdownNow();
        }
    }

    private static String truncate(String message) {
        return message == null || message.length() <= 500 ? message : message.substring(0, 500);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
