package dev.vlm3d.jobs;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with "equal jitter": the n-th retry waits between half and all of base·2^(n−1), capped.
 * Half is kept fixed so a retry never fires at once; the random half spreads workers that failed together
 * (e.g. all GPUs hitting the same broken model mount) so they do not retry in lock step.
 */
public final class RetryBackoff {

    private final Duration base;
    private final Duration max;

    public RetryBackoff(Duration base, Duration max) {
        this.base = base;
        this.max = max;
    }

    /** Delay before the retry that follows the given number of failures (1 = first failure). */
    public Duration delayAfter(int failures) {
        long ceilingMs = ceilingMillis(failures);
        long half = ceilingMs / 2;
        return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(ceilingMs - half + 1));
    }

    long ceilingMillis(int failures) {
        int exponent = Math.max(0, Math.min(failures - 1, 30));
        long ceiling = base.toMillis() << exponent;
        if (ceiling <= 0 || ceiling > max.toMillis()) {
            ceiling = max.toMillis();
        }
        return ceiling;
    }
}
