package dev.vlm3d.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.vlm3d.testsupport.JpaRepositories;
import dev.vlm3d.testsupport.TestDatabase;
import dev.vlm3d.testsupport.WebhookReceiver;
import dev.vlm3d.webhooks.WebhookDeliveries;
import dev.vlm3d.webhooks.WebhookDispatcher;
import dev.vlm3d.webhooks.WebhookHistory;
import dev.vlm3d.webhooks.WebhookMetrics;
import dev.vlm3d.webhooks.WebhookProperties;
import dev.vlm3d.webhooks.WebhookSigner;
import dev.vlm3d.webhooks.WebhookTargets;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Webhook delivery throughput to a receiver on loopback: {@code bench.jobs} jobs with a webhook are moved to
 * RUNNING in one statement, so the jobs trigger writes one outbox row (a real job.started payload) per job; then
 * {@code bench.replicas} dispatchers (each {@code bench.concurrency} senders) drain the outbox, and the time from
 * their start to the last DELIVERED row gives deliveries per second (claim, sign, POST, 200, record). Printed as a
 * Markdown row for docs/benchmarks.md with the load average before and after and the uptime line.
 * <p>
 * Run: {@code ./mvnw -q -o test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.vlm3d.bench.WebhookThroughputBenchmark}; properties {@code bench.jobs} (default 5000, after
 * 500 of warm-up), {@code bench.replicas} (1), {@code bench.concurrency} (8).
 */
public final class WebhookThroughputBenchmark {

    private WebhookThroughputBenchmark() {}

    public static void main(String[] args) throws Exception {
        int jobs = Integer.getInteger("bench.jobs", 5000);
        int replicas = Integer.getInteger("bench.replicas", 1);
        int concurrency = Integer.getInteger("bench.concurrency", 8);
        String schema = TestDatabase.freshSchema(WebhookThroughputBenchmark.class);
        try (HikariDataSource dataSource = TestDatabase.migratedDataSource(schema, 4 + replicas * (concurrency + 2));
                JpaRepositories repositories = new JpaRepositories(dataSource);
                WebhookReceiver receiver = new WebhookReceiver()) {
            JdbcClient jdbc = JdbcClient.create(dataSource);
            WebhookHistory history = repositories.get(WebhookHistory.class);
            UUID owner = UUID.randomUUID();
            jdbc.sql(
                            "INSERT INTO api_keys (id, name, key_prefix, key_hash, webhook_secret) VALUES (:id, 'bench', 'bench', :h, :s)")
                    .param("id", owner)
                    .param("h", owner.toString().getBytes())
                    .param("s", WebhookSigner.newSecret())
                    .update();
            WebhookProperties properties = new WebhookProperties(
                    true,
                    List.of("127.0.0.1/32"),
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(60),
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(10),
                    Duration.ofHours(24),
                    Duration.ofMillis(200),
                    concurrency,
                    Duration.ofSeconds(10),
                    Duration.ofHours(24),
                    Duration.ofDays(7));

            run(jdbc, history, receiver, owner, properties, replicas, 500);
            jdbc.sql("TRUNCATE jobs, webhook_deliveries CASCADE").update();
            String uptimeBefore = uptime();
            String loadBefore = loadAverage();
            double[] result = run(jdbc, history, receiver, owner, properties, replicas, jobs);
            String loadAfter = loadAverage();
            long p50 = percentile(jdbc, 0.5);
            long p99 = percentile(jdbc, 0.99);
            System.out.println("uptime before: " + uptimeBefore);
            System.out.println("uptime after:  " + uptime());
            System.out.println(
                    "| deliveries | replicas × senders | outbox rows written/s | delivered/s | attempt p50 (ms) | attempt p99 (ms) | non-2xx | load avg before → after |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            System.out.printf(
                    "| %d | %d × %d | %.0f | %.0f | %d | %d | %d | %s → %s |%n",
                    jobs,
                    replicas,
                    concurrency,
                    result[0],
                    result[1],
                    p50,
                    p99,
                    (long) result[2],
                    loadBefore,
                    loadAfter);
        }
        System.exit(0);
    }

    /** Outbox write rate, delivery rate, and the number of attempts that were not a 2xx. */
    private static double[] run(
            JdbcClient jdbc,
            WebhookHistory history,
            WebhookReceiver receiver,
            UUID owner,
            WebhookProperties properties,
            int replicas,
            int jobs)
            throws InterruptedException {
        jdbc.sql("""
                INSERT INTO jobs (id, status, prompt, seed, total_steps, owner_key_id, webhook_url, webhook_events,
                                  webhook_progress_interval_ms)
                SELECT gen_random_uuid(), 'QUEUED', 'benchmark job ' || i, i, 40, :owner, :url, ARRAY['started'], 10000
                FROM generate_series(1, :n) i""")
                .param("owner", owner)
                .param("url", receiver.url("/bench"))
                .param("n", jobs)
                .update();
        long w0 = System.nanoTime();
        // what a claim does to each of them: the trigger writes the started event in the same statement
        jdbc.sql(
                        "UPDATE jobs SET status = 'RUNNING', attempt = 1, started_at = now(), stage = 'starting' WHERE status = 'QUEUED'")
                .update();
        double writeSeconds = (System.nanoTime() - w0) / 1e9;

        List<WebhookDispatcher> dispatchers = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int r = 0; r < replicas; r++) {
            WebhookDeliveries deliveries = new WebhookDeliveries(jdbc, history);
            WebhookDispatcher d = new WebhookDispatcher(
                    deliveries,
                    new WebhookTargets(properties.allowList()),
                    properties,
                    new WebhookMetrics(new SimpleMeterRegistry(), deliveries, 60),
                    "bench-" + r);
            dispatchers.add(d);
            d.start();
        }
        while (jdbc.sql("SELECT count(*) FROM webhook_deliveries WHERE status = 'PENDING'")
                        .query(Long.class)
                        .single()
                > 0) {
            Thread.sleep(20);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        dispatchers.forEach(WebhookDispatcher::close);
        long failures = jdbc.sql(
                        "SELECT count(*) FROM webhook_attempts WHERE status_code IS NULL OR status_code >= 300")
                .query(Long.class)
                .single();
        long delivered = jdbc.sql("SELECT count(*) FROM webhook_deliveries WHERE status = 'DELIVERED'")
                .query(Long.class)
                .single();
        if (delivered != jobs) throw new IllegalStateException("delivered " + delivered + " of " + jobs);
        return new double[] {jobs / writeSeconds, jobs / seconds, failures};
    }

    private static long percentile(JdbcClient jdbc, double p) {
        return jdbc.sql("SELECT percentile_disc(:p) WITHIN GROUP (ORDER BY duration_ms) FROM webhook_attempts")
                .param("p", p)
                .query(Long.class)
                .single();
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (Exception e) {
            return "n/a";
        }
    }

    private static String uptime() {
        try {
            Process p = new ProcessBuilder("uptime").redirectErrorStream(true).start();
            return new String(p.getInputStream().readAllBytes()).trim();
        } catch (Exception e) {
            return "n/a (" + e + ")";
        }
    }
}
