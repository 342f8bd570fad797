package dev.vlm3d.bench;

import dev.vlm3d.Vlm3dApplication;
import dev.vlm3d.testsupport.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * POST /jobs latency under an open-loop load: submissions are due at a fixed rate (default 500/s) and sent by a
 * pool of concurrent clients (default 64), all with one API key (the case that per-key serialization made slow).
 * Latency is measured from the moment a submission was due, so a server that falls behind shows it (no coordinated
 * omission). Printed as a Markdown row for docs/benchmarks.md, with the load average before and after.
 * <p>
 * Run: {@code ./mvnw -q test-compile exec:java -Dexec.mainClass=dev.vlm3d.bench.SubmissionBenchmark
 * -Dexec.classpathScope=test}; properties {@code bench.rate} (per second), {@code bench.clients},
 * {@code bench.total} (submissions measured, default 5000, after 1000 of warm-up).
 */
public final class SubmissionBenchmark {

    private static final String ADMIN = "bench-admin-key-0123456789";

    private SubmissionBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rate = Integer.getInteger("bench.rate", 500);
        int clients = Integer.getInteger("bench.clients", 64);
        int total = Integer.getInteger("bench.total", 5000);
        String schema = TestDatabase.freshSchema(SubmissionBenchmark.class);
        ConfigurableApplicationContext app = new SpringApplication(Vlm3dApplication.class).run(
                "--server.port=0", "--logging.level.root=WARN", "--vlm3d.worker.enabled=false",
                "--vlm3d.security.admin-key=" + ADMIN, "--vlm3d.security.key-cache-ttl=60s",
                "--server.tomcat.threads.max=200",
                "--spring.datasource.url=" + TestDatabase.url(schema),
                "--spring.datasource.username=" + TestDatabase.user(),
                "--spring.datasource.password=" + TestDatabase.password(),
                "--spring.flyway.schemas=" + schema, "--spring.flyway.default-schema=" + schema);
        try {
            String base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .executor(Executors.newFixedThreadPool(8)).build();
            HttpResponse<String> key = http.send(HttpRequest.newBuilder(URI.create(base + "/api-keys"))
                    .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"bench\",\"max_queued_jobs\":100000}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            String token = key.body().replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");
            String loadBefore = loadAverage();
            run(http, base, token, rate, clients, 1000);
            long[] result = run(http, base, token, rate, clients, total);
            String loadAfter = loadAverage();
            long errors = result[result.length - 2];
            long elapsedNanos = result[result.length - 1];
            long[] latencies = Arrays.copyOf(result, result.length - 2);
            Arrays.sort(latencies);
            System.out.println("| submissions | target/s | achieved/s | clients | p50 (ms) | p99 (ms) | max (ms) | errors | load avg before → after |");
            System.out.println("|---|---|---|---|---|---|---|---|---|");
            System.out.printf("| %d | %d | %.0f | %d | %.1f | %.1f | %.1f | %d | %s → %s |%n", total, rate,
                    total / (elapsedNanos / 1e9), clients, percentile(latencies, 50) / 1e6, percentile(latencies, 99) / 1e6,
                    latencies[latencies.length - 1] / 1e6, errors, loadBefore, loadAfter);
        } finally {
            app.close();
        }
        System.exit(0);
    }

    /** Latencies (ns, from when each submission was due), then the error count and the elapsed time. */
    private static long[] run(HttpClient http, String base, String token, int rate, int clients, int total) throws Exception {
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime() + 50_000_000L;
        AtomicInteger next = new AtomicInteger();
        AtomicLong errors = new AtomicLong();
        long[] latencies = new long[total];
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        for (int c = 0; c < clients; c++) {
            pool.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < total; ) {
                    long due = start + i * interval;
                    long wait = due - System.nanoTime();
                    if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/jobs"))
                            .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                            .timeout(Duration.ofSeconds(30))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"bench " + i + "\", \"steps\": 10}")).build();
                    try {
                        HttpResponse<Void> r = http.send(request, HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() != 202) errors.incrementAndGet();
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                    latencies[i] = System.nanoTime() - due;
                }
                return null;
            });
        }
        pool.shutdown();
        pool.awaitTermination(10, java.util.concurrent.TimeUnit.MINUTES);
        long elapsed = System.nanoTime() - start;
        long[] out = Arrays.copyOf(latencies, total + 2);
        out[total] = errors.get();
        out[total + 1] = elapsed;
        return out;
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (Exception e) {
            return "n/a";
        }
    }

    private static double percentile(long[] sorted, int p) {
        if (sorted.length == 0) return Double.NaN;
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
