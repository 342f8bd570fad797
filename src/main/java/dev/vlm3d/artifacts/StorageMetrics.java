package dev.vlm3d.artifacts;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code vlm3d.artifacts.stored.bytes{kind=OUTPUT|CHECKPOINT}} and {@code vlm3d.artifacts.stored{kind=…}} (count):
 * what the artifact store holds, summed from the artifacts table's metadata (the same for every store, and no
 * listing of a bucket or a directory). Refreshed in the background, so a scrape never runs the aggregate.
 */
public class StorageMetrics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StorageMetrics.class);

    private final ArtifactRepository artifacts;
    private final Map<ArtifactKind, AtomicLong> bytes = new EnumMap<>(ArtifactKind.class);
    private final Map<ArtifactKind, AtomicLong> counts = new EnumMap<>(ArtifactKind.class);
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vlm3d-storage-metrics");
        t.setDaemon(true);
        return t;
    });

    public StorageMetrics(ArtifactRepository artifacts, MeterRegistry registry, Duration refresh) {
        this.artifacts = artifacts;
        for (ArtifactKind kind : ArtifactKind.values()) {
            AtomicLong size = new AtomicLong();
            AtomicLong count = new AtomicLong();
            bytes.put(kind, size);
            counts.put(kind, count);
            Gauge.builder("vlm3d.artifacts.stored.bytes", size, AtomicLong::get)
                    .baseUnit("bytes")
                    .description("Bytes held by the artifact store, by artifact kind")
                    .tag("kind", kind.name())
                    .register(registry);
            Gauge.builder("vlm3d.artifacts.stored", count, AtomicLong::get)
                    .description("Artifacts held by the artifact store, by artifact kind")
                    .tag("kind", kind.name())
                    .register(registry);
        }
        scheduler.scheduleWithFixedDelay(this::refreshQuietly, 0, refresh.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Re-reads the sums now. */
    public void refresh() {
        Map<ArtifactKind, ArtifactRepository.KindTotal> found = new EnumMap<>(ArtifactKind.class);
        for (ArtifactRepository.KindTotal total : artifacts.totalsByKind()) found.put(total.kind(), total);
        for (ArtifactKind kind : ArtifactKind.values()) {
            ArtifactRepository.KindTotal total = found.get(kind);
            counts.get(kind).set(total == null ? 0 : total.count());
            bytes.get(kind).set(total == null ? 0 : total.bytes());
        }
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            log.debug("storage metrics refresh failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
