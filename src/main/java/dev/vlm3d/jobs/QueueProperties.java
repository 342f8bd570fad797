package dev.vlm3d.jobs;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;

/**
 * Queue timing. The lease is renewed by heartbeats every {@code heartbeatInterval}; a worker that misses
 * {@code leaseDuration} worth of heartbeats is presumed dead and its job is requeued by the rescuer, which runs
 * every {@code rescueInterval} on every replica (SKIP LOCKED keeps replicas from fighting over rows).
 * Heartbeats prove the process is alive, not that the job moves: a worker whose generator has reported nothing
 * (no step, checkpoint or artifact) for {@code stallTimeout} stops renewing, so a hung driver call ends in a rescue.
 * {@code maxTotalAttempts} caps every attempt a job gets, counted or not (interruptions after checkpoint progress do
 * not use up {@code max_attempts}), so a job that is interrupted forever still ends.
 */
@ConfigurationProperties("vlm3d.queue")
public record QueueProperties(
        Duration leaseDuration,
        Duration heartbeatInterval,
        Duration pollInterval,
        Duration rescueInterval,
        Duration retryBaseDelay,
        Duration retryMaxDelay,
        int defaultMaxAttempts,
        Duration stallTimeout,
        int maxTotalAttempts) {

    public QueueProperties(
            Duration leaseDuration,
            Duration heartbeatInterval,
            Duration pollInterval,
            Duration rescueInterval,
            Duration retryBaseDelay,
            Duration retryMaxDelay,
            int defaultMaxAttempts,
            Duration stallTimeout) {
        this(
                leaseDuration,
                heartbeatInterval,
                pollInterval,
                rescueInterval,
                retryBaseDelay,
                retryMaxDelay,
                defaultMaxAttempts,
                stallTimeout,
                0);
    }

    @ConstructorBinding
    public QueueProperties {
        if (leaseDuration == null) leaseDuration = Duration.ofSeconds(60);
        if (heartbeatInterval == null) heartbeatInterval = Duration.ofSeconds(10);
        if (pollInterval == null) pollInterval = Duration.ofSeconds(2);
        if (rescueInterval == null) rescueInterval = Duration.ofSeconds(10);
        if (retryBaseDelay == null) retryBaseDelay = Duration.ofSeconds(10);
        if (retryMaxDelay == null) retryMaxDelay = Duration.ofMinutes(10);
        if (defaultMaxAttempts <= 0) defaultMaxAttempts = 3;
        if (stallTimeout == null) stallTimeout = Duration.ofMinutes(30);
        if (maxTotalAttempts <= 0) maxTotalAttempts = 50;
        if (heartbeatInterval.compareTo(leaseDuration) >= 0) {
            throw new IllegalArgumentException("vlm3d.queue.heartbeat-interval must be shorter than lease-duration");
        }
    }

    public static QueueProperties defaults() {
        return new QueueProperties(null, null, null, null, null, null, 0, null);
    }
}
