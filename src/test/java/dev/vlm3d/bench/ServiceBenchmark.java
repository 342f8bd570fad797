package dev.vlm3d.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.vlm3d.Vlm3dApplication;
import dev.vlm3d.jobs.ClaimedJob;
import dev.vlm3d.jobs.JobChannels;
import dev.vlm3d.jobs.JobQueue;
import dev.vlm3d.jobs.QueueProperties;
import dev.vlm3d.testsupport.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Service benchmark, printed as Markdown for docs/benchmarks.md:
 * <ol>
 *   <li>claim throughput: N threads each claim-and-complete jobs from a pre-filled queue until it is empty
 *       (every claim is one SKIP LOCKED transaction, every completion one fenced UPDATE);</li>
 *   <li>GET /jobs/{id} latency (p50/p99) and throughput under a closed-loop loopback load generator
 *       (C client threads, each sending its next request when the previous answer arrived), with API-key
 *       authentication, owner scoping, queue position and artifact listing, as a client sees it.</li>
 * </ol>
 * Run: {@code ./mvnw -q test-compile exec:java -Dexec.mainClass=dev.vlm3d.bench.ServiceBenchmark -Dexec.classpathScope=test}
 * (PostgreSQL as for the tests: local 127.0.0.1:5432 or Testcontainers). Optional system properties:
 * {@code bench.jobs} (claim jobs, default 4000), {@code bench.seconds} (HTTP measure time per level, default 10).
 */
public final class ServiceBenchmark {

    private static final String ADMIN = "bench-admin-key-0123456789";

    private ServiceBenchmark() {}

    public static void main(String[] args) throws Exception {
        int jobs = Integer.getInteger("bench.jobs", 4000);
        int seconds = Integer.getInteger("bench.seconds", 10);
        String schema = TestDatabase.freshSchema(ServiceBenchmark.class);
        System.out.printf(
                "# VLM3D Server benchmark%n%nmachine: %d cores, Java %s, %s%n%n",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"),
                TestDatabase.url(schema).replaceAll("\\?.*", ""));
        claimThroughput(schema, jobs);
        httpLatency(schema, seconds);
        System.exit(0);
    }

    private static void claimThroughput(String schema, int jobs) throws Exception {
        try (HikariDataSource ds = TestDatabase.migratedDataSource(schema, 20)) {
            JdbcClient jdbc = JdbcClient.create(ds);
            JobQueue queue = new JobQueue(
                    jdbc,
                    new TransactionTemplate(new DataSourceTransactionManager(ds)),
                    JsonMapper.builder().build(),
                    JobChannels.forSchema(schema),
                    QueueProperties.defaults());
            System.out.printf("## Claim throughput (%d jobs, claim + complete per job)%n%n", jobs);
            System.out.println("| workers | jobs/s | claim p50 (ms) | claim p99 (ms) | duplicates | lost |");
            System.out.println("|---|---|---|---|---|---|");
            for (int workers : new int[] {1, 2, 4, 8, 16}) {
                jdbc.sql("TRUNCATE jobs CASCADE").update();
                jdbc.sql("""
                        INSERT INTO jobs (id, status, prompt, seed, total_steps, priority)
                        SELECT gen_random_uuid(), 'QUEUED', 'bench ' || i, i, 10, i % 3 FROM generate_series(1, :n) i""").param("n", jobs).update();
                jdbc.sql("ANALYZE jobs").update();
                ExecutorService pool = Executors.newFixedThreadPool(workers);
                CountDownLatch start = new CountDownLatch(1);
                List<Future<long[]>> results = new ArrayList<>();
                for (int w = 0; w < workers; w++) {
                    String id = "bench-w" + w;
                    results.add(pool.submit(() -> {
                        start.await();
                        long[] latencies = new long[jobs];
                        int n = 0;
                        while (true) {
                            long t0 = System.nanoTime();
                            Optional<ClaimedJob> claimed = queue.claim(id);
                            if (claimed.isEmpty()) break;
                            latencies[n++] = System.nanoTime() - t0;
                            queue.complete(claimed.get().lease());
                        }
                        return Arrays.copyOf(latencies, n);
                    }));
                }
                long t0 = System.nanoTime();
                start.countDown();
                List<long[]> all = new ArrayList<>();
                for (Future<long[]> f : results) all.add(f.get());
                double elapsed = (System.nanoTime() - t0) / 1e9;
                pool.shutdown();
                long[] merged =
                        all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
                int duplicates = jdbc.sql("SELECT count(*) FROM jobs WHERE attempt > 1")
                        .query(Integer.class)
                        .single();
                int lost = jdbc.sql("SELECT count(*) FROM jobs WHERE status <> 'SUCCEEDED'")
                        .query(Integer.class)
                        .single();
                System.out.printf(
                        "| %d | %.0f | %.2f | %.2f | %d | %d |%n",
                        workers,
                        merged.length / elapsed,
                        percentile(merged, 50) / 1e6,
                        percentile(merged, 99) / 1e6,
                        duplicates,
                        lost);
            }
            jdbc.sql("TRUNCATE jobs CASCADE").update();
        }
        System.out.println();
    }

    private static void httpLatency(String schema, int seconds) throws Exception {
        ConfigurableApplicationContext app = new SpringApplication(Vlm3dApplication.class)
                .run(
                        "--server.port=0",
                        "--logging.level.root=WARN",
                        "--vlm3d.worker.enabled=false",
                        "--vlm3d.security.admin-key=" + ADMIN,
                        "--spring.datasource.url=" + TestDatabase.url(schema),
                        "--spring.datasource.username=" + TestDatabase.user(),
                        "--spring.datasource.password=" + TestDatabase.password(),
                        "--spring.flyway.schemas=" + schema,
                        "--spring.flyway.default-schema=" + schema);
        try {
            int port = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
            String base = "http://127.0.0.1:" + port;
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/jobs"))
                                .header("Authorization", "Bearer " + ADMIN)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"prompt\": \"bench " + i + "\", \"steps\": 100}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 202) throw new IllegalStateException(r.body());
                ids.add(r.body().substring(7, 43));
            }
            System.out.printf(
                    "## GET /jobs/{id} over loopback HTTP/1.1 (%d queued jobs, %d s per level after 3 s warm-up)%n%n",
                    ids.size(), seconds);
            System.out.println("| client threads | requests/s | p50 (ms) | p99 (ms) | errors |");
            System.out.println("|---|---|---|---|---|");
            for (int clients : new int[] {1, 4, 16}) {
                run(http, base, ids, clients, 3, false);
                long[] result = run(http, base, ids, clients, seconds, true);
                long errors = result[result.length - 1];
                long[] latencies = Arrays.copyOf(result, result.length - 1);
                Arrays.sort(latencies);
                System.out.printf(
                        "| %d | %.0f | %.2f | %.2f | %d |%n",
                        clients,
                        latencies.length / (double) seconds,
                        percentile(latencies, 50) / 1e6,
                        percentile(latencies, 99) / 1e6,
                        errors);
            }
        } finally {
            app.close();
        }
        System.out.println();
    }

    /** Closed loop: returns all latencies in ns, then the error count as the last element. */
    private static long[] run(HttpClient http, String base, List<String> ids, int clients, int seconds, boolean record)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        List<Future<long[]>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            futures.add(pool.submit(() -> {
                long[] lat = new long[1 << 16];
                int n = 0;
                long errors = 0;
                while (System.nanoTime() < end) {
                    String id = ids.get(ThreadLocalRandom.current().nextInt(ids.size()));
                    HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/jobs/" + UUID.fromString(id)))
                            .header("Authorization", "Bearer " + ADMIN)
                            .GET()
                            .build();
                    long t0 = System.nanoTime();
                    HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                    long dt = System.nanoTime() - t0;
                    if (r.statusCode() != 200) errors++;
                    if (n == lat.length) lat = Arrays.copyOf(lat, n * 2);
                    lat[n++] = dt;
                }
                long[] out = Arrays.copyOf(lat, n + 1);
                out[n] = errors;
                return out;
            }));
        }
        List<Long> all = new ArrayList<>();
        long errors = 0;
        for (Future<long[]> f : futures) {
            long[] r = f.get();
            for (int i = 0; i < r.length - 1; i++) all.add(r[i]);
            errors += r[r.length - 1];
        }
        pool.shutdown();
        long[] out = new long[all.size() + 1];
        for (int i = 0; i < all.size(); i++) out[i] = all.get(i);
        out[all.size()] = errors;
        return record ? out : new long[] {0};
    }

    private static double percentile(long[] sorted, int p) {
        if (sorted.length == 0) return Double.NaN;
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
