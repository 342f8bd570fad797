package dev.vlm3d.api;

import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobNotificationListener;
import dev.vlm3d.jobs.JobRepository;
import dev.vlm3d.jobs.OwnerScope;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Server-Sent Events for job progress. Each stream gets a snapshot at once and after every change of its job
 * (NOTIFY from whichever pod runs the job), coalesced so a burst of steps yields one read; a periodic re-read
 * covers notifications lost while the listener reconnects, and comments keep proxies from closing idle streams.
 * The stream ends after the snapshot with a terminal status.
 */
class JobEventHub implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JobEventHub.class);
    private static final long COALESCE_MILLIS = 100;
    private static final long RESYNC_SECONDS = 5;

    private final JobRepository jobs;
    private final JobViews views;
    private final ApiProperties properties;
    /** Open streams per job, each with the updated_at of the last snapshot it got (so no duplicates are sent). */
    private final Map<UUID, Map<SseEmitter, Instant>> streams = new ConcurrentHashMap<>();

    private final Set<UUID> pending = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "vlm3d-sse");
        t.setDaemon(true);
        return t;
    });

    JobEventHub(JobRepository jobs, JobViews views, ApiProperties properties, JobNotificationListener notifications) {
        this.jobs = jobs;
        this.views = views;
        this.properties = properties;
        notifications.onChanged(this::changed);
        notifications.onReconnect(() -> streams.keySet().forEach(this::changed));
        long beat = properties.sseHeartbeat().toMillis();
        scheduler.scheduleWithFixedDelay(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(
                () -> streams.keySet().forEach(this::changed), RESYNC_SECONDS, RESYNC_SECONDS, TimeUnit.SECONDS);
    }

    SseEmitter subscribe(Job job) {
        SseEmitter emitter = new SseEmitter(properties.sseTimeout().toMillis());
        UUID id = job.id();
        Runnable remove = () -> {
            Map<SseEmitter, Instant> set = streams.get(id);
            if (set != null) {
                set.remove(emitter);
                streams.computeIfPresent(id, (k, v) -> v.isEmpty() ? null : v);
            }
        };
        emitter.onCompletion(remove);
        emitter.onTimeout(() -> {
            remove.run();
            emitter.complete();
        });
        emitter.onError(e -> remove.run());
        JobResponse snapshot = views.detailed(job);
        if (!send(emitter, snapshot)) return emitter;
        if (job.status().isTerminal()) {
            emitter.complete();
            return emitter;
        }
        streams.computeIfAbsent(id, k -> new ConcurrentHashMap<>()).put(emitter, snapshot.updatedAt());
        changed(id); // the job may have changed between the snapshot and the registration
        return emitter;
    }

    int openStreams() {
        return streams.values().stream().mapToInt(Map::size).sum();
    }

    private void changed(UUID id) {
        if (streams.containsKey(id) && pending.add(id)) {
            scheduler.schedule(() -> publish(id), COALESCE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void publish(UUID id) {
        pending.remove(id);
        Map<SseEmitter, Instant> emitters = streams.get(id);
        if (emitters == null || emitters.isEmpty()) return;
        try {
            Optional<Job> job = jobs.find(id, OwnerScope.everyone());
            if (job.isEmpty()) {
                streams.remove(id);
                for (SseEmitter e : emitters.keySet()) {
                    trySend(
                            e,
                            SseEmitter.event()
                                    .name("deleted")
                                    .data("{\"id\":\"" + id + "\"}", MediaType.APPLICATION_JSON));
                    e.complete();
                }
                return;
            }
            JobResponse snapshot = views.detailed(job.get());
            for (Map.Entry<SseEmitter, Instant> e : emitters.entrySet()) {
                if (snapshot.updatedAt().equals(e.getValue())) continue;
                e.setValue(snapshot.updatedAt());
                if (send(e.getKey(), snapshot) && job.get().status().isTerminal())
                    e.getKey().complete();
            }
            if (job.get().status().isTerminal()) streams.remove(id);
        } catch (RuntimeException e) {
            log.warn("could not publish progress of job {}: {}", id, e.toString());
        }
    }

    private boolean send(SseEmitter emitter, JobResponse snapshot) {
        return trySend(
                emitter,
                SseEmitter.event()
                        .name("job")
                        .id(snapshot.updatedAt().toString())
                        .data(snapshot, MediaType.APPLICATION_JSON));
    }

    private boolean trySend(SseEmitter emitter, SseEmitter.SseEventBuilder event) {
        try {
            emitter.send(event);
            return true;
        } catch (IOException | IllegalStateException e) {
            emitter.completeWithError(e);
            return false;
        }
    }

    private void heartbeat() {
        streams.values()
                .forEach(set ->
                        set.keySet().forEach(e -> trySend(e, SseEmitter.event().comment("keep-alive"))));
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        streams.values().forEach(set -> set.keySet().forEach(SseEmitter::complete));
        streams.clear();
    }
}
