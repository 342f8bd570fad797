package dev.vlm3d.config;

import java.util.List;
import org.springframework.context.SmartLifecycle;

/**
 * Runs a replica's background services (the NOTIFY listener, the lease rescuer, the expiry sweep) while the
 * application runs: started in order, stopped in reverse. Its phase is below the workers', so the services start
 * before them and stop after them (workers still need notifications while they hand jobs back).
 * <p>
 * It lives in {@code config} because it spans packages: the listener and the rescuer are the jobs package's, the sweep
 * the artifacts package's, and one lifecycle orders all three (wired in {@link ServiceConfiguration}).
 */
final class BackgroundServices implements SmartLifecycle {

    /** One service: how it starts, and how it stops (its close). */
    record Service(Runnable start, Runnable stop) {}

    private final List<Service> services;
    private volatile boolean running;

    BackgroundServices(Service... services) {
        this.services = List.of(services);
    }

    @Override
    public void start() {
        services.forEach(s -> s.start().run());
        running = true;
    }

    @Override
    public void stop() {
        for (int i = services.size() - 1; i >= 0; i--) {
            services.get(i).stop().run();
        }
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 2048;
    }
}
