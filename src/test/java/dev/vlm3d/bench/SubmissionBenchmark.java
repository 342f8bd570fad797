package dev.vlm3d.bench;

import dev.vlm3d.Vlm3dApplication;
import dev.vlm3d.testsupport.TestDatabase;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
 * The service runs with its own configuration (application.yaml: INFO logging, the default Tomcat and Hikari pools),
 * workers off; {@code bench.args} adds comma-separated arguments to it.
 * <p>
 * Run: {@code ./mvnw -q test-compile exec:java -Dexec.mainClass=dev.vlm3d.bench.SubmissionBenchmark
 * -Dexec.classpathScope=test}; properties {@code bench.rate} (per second), {@code bench.clients},
 * {@code bench.total} (submissions measured, default 5000), {@code bench.warmup} (first warm-up round, default 2000;
 * rounds of 2,000 follow until the JIT compiler takes under 5 % of a round's time, at most
 * {@code bench.warmup-rounds} rounds in all, default 30),
 * {@code bench.args}.
 */
public final class SubmissionBenchmark {

    private static final String ADMIN = "bench-admin-key-0123456789";

    /** CPU time of the client threads of the last run (they end with it, so they are summed as they finish). */
    private static final AtomicLong CLIENT_CPU = new AtomicLong();

    private SubmissionBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rate = Integer.getInteger("bench.rate", 500);
        int clients = Integer.getInteger("bench.clients", 64);
        int total = Integer.getInteger("bench.total", 5000);
        int warmup = Integer.getInteger("bench.warmup", 2000);
        String schema = TestDatabase.freshSchema(SubmissionBenchmark.class);
        List<String> appArgs = new ArrayList<>(List.of(
                "--server.port=0",
                "--vlm3d.worker.enabled=false",
                "--vlm3d.security.admin-key=" + ADMIN,
                "--spring.datasource.url=" + TestDatabase.url(schema),
                "--spring.datasource.username=" + TestDatabase.user(),
                "--spring.datasource.password=" + TestDatabase.password(),
                "--spring.flyway.schemas=" + schema,
                "--spring.flyway.default-schema=" + schema));
        // the service's own configuration (application.yaml) unless bench.args says otherwise, e.g.
        // -Dbench.args=--logging.level.root=WARN,--server.tomcat.threads.max=64
        String extra = System.getProperty("bench.args", "");
        if (!extra.isBlank()) appArgs.addAll(List.of(extra.split(",")));
        ConfigurableApplicationContext app =
                new SpringApplication(Vlm3dApplication.class).run(appArgs.toArray(String[]::new));
        try {
            String base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
            HttpClient http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .executor(Executors.newFixedThreadPool(8))
                    .build();
            HttpResponse<String> key = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/api-keys"))
                            .header("Authorization", "Bearer " + ADMIN)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"name\":\"bench\",\"max_queued_jobs\":100000}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            String token = key.body().replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");
            // warm up until the JIT has settled: a freshly started service spends more CPU compiling than serving
            // (on the 2-core VM, 1,000 submissions left the compiler busier than the requests; docs/benchmarks.md)
            int warmedUp = 0;
            int maxRounds = Integer.getInteger("bench.warmup-rounds", 30);
            for (int round = 0; round < maxRounds; round++) {
                long jit = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
                long started = System.nanoTime();
                int n = round == 0 ? warmup : 2000;
                run(http, base, token, rate, clients, n);
                warmedUp += n;
                double jitShare = (ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jit)
                        / ((System.nanoTime() - started) / 1e6);
                if (round > 0 && jitShare < 0.05) break;
            }
            System.out.println("warm-up: " + warmedUp + " submissions");
            String loadBefore = loadAverage();
            long cpuBefore = processCpuNanos();
            Map<String, Long> threadsBefore = cpuByThreadGroup();
            long postgresBefore = postgresCpuTicks();
            long gcBefore = gcMillis();
            long jitBefore = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
            long[] result = run(http, base, token, rate, clients, total);
            long cpuNanos = processCpuNanos() - cpuBefore;
            Map<String, Long> threadCpu = cpuByThreadGroup();
            threadsBefore.forEach((group, nanos) -> threadCpu.merge(group, -nanos, Long::sum));
            long tomcatNanos = threadCpu.entrySet().stream()
                    .filter(e ->
                            e.getKey().startsWith("http-nio-") && e.getKey().endsWith("-exec-N"))
                    .mapToLong(Map.Entry::getValue)
                    .sum();
            long postgresTicks = postgresCpuTicks() - postgresBefore;
            long gcTime = gcMillis() - gcBefore;
            long jitTime = ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jitBefore;
            String loadAfter = loadAverage();
            long errors = result[result.length - 2];
            long elapsedNanos = result[result.length - 1];
            long[] latencies = Arrays.copyOf(result, result.length - 2);
            Arrays.sort(latencies);
            // CPU per submission: this JVM (service and load generator together) and PostgreSQL's processes
            // (-1 where /proc cannot tell); with both near the cores available the machine is the bottleneck
            System.out.println(
                    "| submissions | target/s | achieved/s | clients | p50 (ms) | p99 (ms) | max (ms) | errors "
                            + "| JVM CPU ms/sub (Tomcat threads) | PostgreSQL CPU ms/sub | load avg before → after |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
            System.out.printf(
                    "| %d | %d | %.0f | %d | %.1f | %.1f | %.1f | %d | %.2f (%.2f) | %.2f | %s → %s |%n",
                    total,
                    rate,
                    total / (elapsedNanos / 1e9),
                    clients,
                    percentile(latencies, 50) / 1e6,
                    percentile(latencies, 99) / 1e6,
                    latencies[latencies.length - 1] / 1e6,
                    errors,
                    cpuNanos / 1e6 / total,
                    tomcatNanos / 1e6 / total,
                    postgresTicks < 0 ? -1.0 : postgresTicks * 10.0 / total,
                    loadBefore,
                    loadAfter);
            // where this JVM's CPU went (threads alive at the end; GC and JIT threads are not Java threads here)
            System.out.println("JVM CPU ms per submission by thread group: "
                    + threadCpu.entrySet().stream()
                            .filter(e -> e.getValue() > 0)
                            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                            .limit(8)
                            .map(e -> String.format("%s %.2f", e.getKey(), e.getValue() / 1e6 / total))
                            .collect(java.util.stream.Collectors.joining(", "))
                    + String.format(
                            "; client threads %.2f; GC %d ms, JIT %d ms in all",
                            CLIENT_CPU.get() / 1e6 / total, gcTime, jitTime));
        } finally {
            app.close();
        }
        System.exit(0);
    }

    /** Latencies (ns, from when each submission was due), then the error count and the elapsed time. */
    private static long[] run(HttpClient http, String base, String token, int rate, int clients, int total)
            throws Exception {
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime() + 50_000_000L;
        AtomicInteger next = new AtomicInteger();
        AtomicLong errors = new AtomicLong();
        CLIENT_CPU.set(0);
        long[] latencies = new long[total];
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        for (int c = 0; c < clients; c++) {
            pool.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < total; ) {
                    long due = start + i * interval;
                    long wait = due - System.nanoTime();
                    if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/jobs"))
                            .header("Authorization", "Bearer " + token)
                            .header("Content-Type", "application/json")
                            .timeout(Duration.ofSeconds(30))
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"prompt\": \"bench " + i + "\", \"steps\": 10}"))
                            .build();
                    try {
                        HttpResponse<Void> r = http.send(request, HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() != 202) errors.incrementAndGet();
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                    latencies[i] = System.nanoTime() - due;
                }
                CLIENT_CPU.addAndGet(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
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

    /** CPU time of this JVM's live threads by name with digits replaced (one group per pool). */
    private static Map<String, Long> cpuByThreadGroup() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<String, Long> groups = new java.util.TreeMap<>();
        for (java.lang.management.ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t == null) continue;
            long cpu = threads.getThreadCpuTime(t.getThreadId());
            if (cpu > 0) groups.merge(t.getThreadName().replaceAll("\\d+", "N"), cpu, Long::sum);
        }
        return groups;
    }

    private static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(b -> Math.max(0, b.getCollectionTime()))
                .sum();
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * CPU time (clock ticks of 10 ms) of the local PostgreSQL: the postmaster's reaped children plus every live
     * process of its user; -1 when that cannot be read (another host, no /proc).
     */
    private static long postgresCpuTicks() {
        try (var pids = Files.list(Path.of("/proc"))) {
            Path pidFile = Files.list(Path.of("/var/run/postgresql"))
                    .filter(p -> p.toString().endsWith(".pid"))
                    .findFirst()
                    .orElseThrow();
            String postmaster = Files.readAllLines(pidFile).get(0).trim();
            long ticks = 0;
            for (Path dir :
                    pids.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                String stat;
                try {
                    if (!Files.getOwner(dir).getName().equals("postgres")) continue;
                    stat = Files.readString(dir.resolve("stat"));
                } catch (Exception gone) {
                    continue;
                }
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // fields after the command: state is f[0], utime f[11], stime f[12], cutime f[13], cstime f[14]
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                if (dir.getFileName().toString().equals(postmaster))
                    ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]);
            }
            return ticks;
        } catch (Exception e) {
            return -1;
        }
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
