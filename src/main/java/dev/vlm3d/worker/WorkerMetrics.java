package dev.vlm3d.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/** Worker-side meters: job outcomes and durations, step duration, claim latency, latest reward. */
public class WorkerMetrics {

    private final MeterRegistry registry;
    private final Timer stepDuration;
    private final Timer claimLatency;
    private final AtomicReference<Double> latestReward = new AtomicReference<>(Double.NaN);

    public WorkerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.stepDuration = Timer.builder("vlm3d.jobs.step.duration")
                .description("Time per optimisation step")
                .register(registry);
        this.claimLatency = Timer.builder("vlm3d.queue.claim.latency")
                .description("Time of one claim query")
                .register(registry);
        Gauge.builder("vlm3d.jobs.latest.reward", latestReward, AtomicReference::get)
                .description("Reward reported by the latest step on this instance")
                .register(registry);
    }

    public void step(Duration elapsed) {
        stepDuration.record(elapsed);
    }

    public void claim(Duration elapsed) {
        claimLatency.record(elapsed);
    }

    public void reward(double value) {
        latestReward.set(value);
    }

    /** outcome: succeeded, failed, retried, cancelled, released, lease_lost. */
    public void finished(String outcome, Duration elapsed) {
        Counter.builder("vlm3d.jobs.completed")
                .description("Job attempts ended, by outcome")
                .tag("outcome", outcome)
                .register(registry)
                .increment();
        Timer.builder("vlm3d.jobs.duration")
                .description("Run time of one job attempt")
                .tag("outcome", outcome)
                .register(registry)
                .record(elapsed);
    }
}
