package dev.vlm3d.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetryBackoffTest {

    private final RetryBackoff backoff = new RetryBackoff(Duration.ofSeconds(10), Duration.ofMinutes(10));

    @Test
    void delaysDoubleWithEqualJitterAndStopAtTheCap() {
        for (int failures = 1; failures <= 40; failures++) {
            long ceiling = Math.min(10_000L << Math.min(failures - 1, 30), 600_000L);
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 200; i++) {
                long delay = backoff.delayAfter(failures).toMillis();
                assertThat(delay).as("failure %d", failures).isBetween(ceiling / 2, ceiling);
                seen.add(delay);
            }
            assertThat(seen).as("jittered").hasSizeGreaterThan(1);
        }
    }
}
