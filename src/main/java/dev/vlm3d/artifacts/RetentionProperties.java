package dev.vlm3d.artifacts;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How long finished jobs keep their artifacts (README "Retention"). {@code defaultTtl}: the time to live of jobs of
 * keys without their own default; a job may ask for a shorter one, or for none when its key allows it.
 * {@code sweepInterval}/{@code sweepBatch}: how often each replica runs the expiry sweep and how many jobs one
 * database claim takes ({@link ExpirySweep}). {@code storageMetricsRefresh}: how often the
 * stored-bytes gauge re-reads the artifacts table.
 */
@ConfigurationProperties("vlm3d.retention")
public record RetentionProperties(
        Duration defaultTtl, Duration sweepInterval, Integer sweepBatch, Duration storageMetricsRefresh) {

    public RetentionProperties {
        if (defaultTtl == null) defaultTtl = Duration.ofDays(7);
        if (sweepInterval == null) sweepInterval = Duration.ofMinutes(1);
        if (sweepBatch == null) sweepBatch = 100;
        if (storageMetricsRefresh == null) storageMetricsRefresh = Duration.ofSeconds(60);
        if (defaultTtl.isNegative() || defaultTtl.toSeconds() < 1) {
            throw new IllegalArgumentException("vlm3d.retention.default-ttl must be at least 1s, not " + defaultTtl);
        }
        if (sweepInterval.toMillis() < 1 || storageMetricsRefresh.toMillis() < 1 || sweepBatch < 1) {
            throw new IllegalArgumentException(
                    "vlm3d.retention sweep-interval, sweep-batch and storage-metrics-refresh " + "must be positive");
        }
    }
}
