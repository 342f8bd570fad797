package dev.vlm3d.worker;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Worker beans: {@code enabled=false} makes a web-only pod from the same image; {@code count} workers are spread
 * round-robin over {@code devices} (one per GPU is the usual choice). {@code shutdownGrace} is how long a stopping
 * pod waits for running generators to checkpoint and hand their jobs back.
 */
@ConfigurationProperties("vlm3d.worker")
public record WorkerProperties(Boolean enabled, Integer count, List<String> devices, Duration shutdownGrace) {

    public WorkerProperties {
        if (enabled == null) enabled = true;
        if (devices == null || devices.isEmpty()) devices = List.of("cpu");
        if (count == null || count < 0) count = devices.size();
        if (shutdownGrace == null) shutdownGrace = Duration.ofSeconds(60);
    }
}
