package dev.vlm3d.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vlm3d.jobs.ClaimedJob;
import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.NewJob;
import dev.vlm3d.jobs.OwnerScope;
import dev.vlm3d.jobs.StepUpdate;
import dev.vlm3d.security.ApiKeyRepository;
import dev.vlm3d.security.ApiKeyService;
import dev.vlm3d.security.SecurityProperties;
import dev.vlm3d.testsupport.QueueFixture;
import dev.vlm3d.testsupport.StandardWebhooksVerifier;
import dev.vlm3d.testsupport.WebhookReceiver;
import dev.vlm3d.testsupport.WebhookReceiver.Answer;
import dev.vlm3d.testsupport.WebhookReceiver.Received;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Webhook delivery end to end against a real PostgreSQL and a real HTTP receiver on loopback (allow-listed):
 * events written by the job transitions, signatures checked by an independent Standard Webhooks verifier,
 * retries after 500s and timeouts, a replica killed mid-attempt, two replicas sharing the outbox.
 */
class WebhookDeliveryTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static QueueFixture db;
    private static WebhookReceiver receiver;
    private static String secret;

    private final List<WebhookDispatcher> dispatchers = new ArrayList<>();
    private final Map<String, SimpleMeterRegistry> registries = new HashMap<>();

    @BeforeAll
    static void setUp() throws Exception {
        db = new QueueFixture(WebhookDeliveryTest.class, QueueFixture.fastProperties(), 12);
        receiver = new WebhookReceiver();
    }

    @AfterAll
    static void tearDown() {
        receiver.close();
        db.close();
    }

    @BeforeEach
    void clean() {
        db.clear();
        db.jdbc.sql("TRUNCATE webhook_deliveries CASCADE").update();
        secret = WebhookSigner.newSecret();
        db.jdbc
                .sql("UPDATE api_keys SET webhook_secret = :s, previous_webhook_secret = NULL, "
                        + "previous_webhook_secret_expires_at = NULL WHERE id = :id")
                .param("s", secret)
                .param("id", db.owner)
                .update();
        receiver.clear();
        receiver.behave(call -> Answer.ok());
    }

    @AfterEach
    void stopDispatchers() {
        dispatchers.forEach(WebhookDispatcher::kill);
    }

    /** Short timings: 500 ms per attempt, retries after 100–400 ms. */
    private static WebhookProperties fast() {
        return properties(Duration.ofMillis(500), Duration.ofMillis(1500), Duration.ofSeconds(60));
    }

    private static WebhookProperties properties(Duration timeout, Duration claimTimeout, Duration retryWindow) {
        return new WebhookProperties(
                true,
                List.of("127.0.0.1/32"),
                timeout,
                claimTimeout,
                Duration.ofMillis(100),
                Duration.ofMillis(400),
                retryWindow,
                Duration.ofMillis(50),
                4,
                Duration.ZERO,
                Duration.ofHours(1),
                Duration.ofDays(1));
    }

    private WebhookDispatcher dispatcher(String replica, WebhookProperties properties) {
        return dispatcher(replica, properties, new WebhookTargets(properties.allowList()));
    }

    private WebhookDispatcher dispatcher(String replica, WebhookProperties properties, WebhookTargets targets) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        registries.put(replica, registry);
        WebhookDeliveries deliveries = new WebhookDeliveries(db.jdbc, db.repositories.get(WebhookHistory.class));
        WebhookDispatcher d = new WebhookDispatcher(
                deliveries, targets, properties, new WebhookMetrics(registry, deliveries, 1), replica);
        dispatchers.add(d);
        d.start();
        return d;
    }

    private Job submit(String url, List<String> events, Duration progressInterval) {
        return db.repository
                .submit(
                        new NewJob(
                                "a teapot",
                                null,
                                1,
                                null,
                                10,
                                0,
                                Map.of(),
                                3,
                                db.owner,
                                null,
                                null,
                                new NewJob.Webhook(url, events, progressInterval),
                                null),
                        -1)
                .job();
    }

    private Job submit(List<String> events) {
        return submit(receiver.url("/hook"), events, Duration.ZERO);
    }

    private static String type(Received r) {
        return JSON.readTree(r.body()).get("type").stringValue();
    }

    private static List<String> types() {
        return receiver.received().stream().map(WebhookDeliveryTest::type).toList();
    }

    private String status(UUID delivery) {
        return db.jdbc
                .sql("SELECT status FROM webhook_deliveries WHERE id = :id")
                .param("id", delivery)
                .query(String.class)
                .single();
    }

    private List<Map<String, Object>> attempts(UUID delivery) {
        return db.jdbc
                .sql("SELECT * FROM webhook_attempts WHERE delivery_id = :id ORDER BY attempt")
                .param("id", delivery)
                .query()
                .listOfRows();
    }

    private double counter(String replica, String name) {
        return registries.get(replica).get(name).counter().count();
    }

    @Test
    void aJobsLifecycleArrivesSignedInOrderWithTheStandardWebhooksHeaders() {
        dispatcher("a", fast());
        Job job = submit(null);
        ClaimedJob claimed = db.queue.claim("w1").orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() == 1);
        db.queue.recordStep(claimed.lease(), new StepUpdate(5, 10, "generating", Map.of("reward", 0.5)));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() == 2);
        db.queue.complete(claimed.lease());
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() == 3);

        assertThat(types()).containsExactly("job.started", "job.progress", "job.succeeded");
        for (Received r : receiver.received()) {
            assertThat(StandardWebhooksVerifier.verify(secret, r))
                    .as(r.toString())
                    .isTrue();
            assertThat(StandardWebhooksVerifier.verify(WebhookSigner.newSecret(), r))
                    .isFalse();
            assertThat(r.contentType()).isEqualTo("application/json");
            assertThat(r.signature()).startsWith("v1,").doesNotContain(" ");
        }
        JsonNode progress = JSON.readTree(receiver.received().get(1).body());
        assertThat(progress.get("data").get("id").stringValue())
                .isEqualTo(job.id().toString());
        assertThat(progress.get("data").get("progress").doubleValue()).isEqualTo(50.0);
        assertThat(progress.get("data").get("status").stringValue()).isEqualTo("RUNNING");
        assertThat(progress.get("timestamp").stringValue()).endsWith("Z");
        JsonNode done = JSON.readTree(receiver.received().get(2).body());
        assertThat(done.get("data").get("status").stringValue()).isEqualTo("SUCCEEDED");
        assertThat(done.get("data").get("links").get("artifacts").stringValue())
                .isEqualTo("/jobs/" + job.id() + "/artifacts");
        await().atMost(Duration.ofSeconds(5)).until(() -> counter("a", "vlm3d.webhooks.delivered") == 3.0);
    }

    @Test
    void aReceiverAnswering500IsRetriedWithTheSameIdAndBodyUntilItAnswers2xx() {
        receiver.behave(call -> call.previousWithSameId() < 2 ? Answer.status(500) : Answer.status(204));
        dispatcher("a", fast());
        submit(List.of("started"));
        db.queue.claim("w1").orElseThrow();

        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() == 3);
        List<Received> got = receiver.received();
        UUID id = UUID.fromString(got.get(0).id());
        assertThat(got).extracting(Received::id).containsOnly(id.toString());
        assertThat(got).extracting(Received::body).containsOnly(got.get(0).body());
        assertThat(got).allMatch(r -> StandardWebhooksVerifier.verify(secret, r));
        await().atMost(Duration.ofSeconds(5)).until(() -> status(id).equals("DELIVERED"));
        assertThat(attempts(id)).extracting(a -> a.get("status_code")).containsExactly(500, 500, 204);
        assertThat(attempts(id)).extracting(a -> a.get("error")).containsExactly("HTTP 500", "HTTP 500", null);
        // backoff: the retries did not come at once
        assertThat(Duration.between(got.get(0).receivedAt(), got.get(2).receivedAt()))
                .isGreaterThan(Duration.ofMillis(100));
        assertThat(receiver.received()).hasSize(3);
    }

    @Test
    void aReceiverThatOutlastsTheTimeoutIsRetried() {
        receiver.behave(call -> call.previousWithSameId() == 0 ? Answer.slow(3_000) : Answer.ok());
        dispatcher("a", properties(Duration.ofMillis(300), Duration.ofSeconds(2), Duration.ofSeconds(60)));
        submit(List.of("started"));
        db.queue.claim("w1").orElseThrow();

        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() == 2);
        UUID id = UUID.fromString(receiver.received().get(0).id());
        await().atMost(Duration.ofSeconds(5)).until(() -> status(id).equals("DELIVERED"));
        List<Map<String, Object>> attempts = attempts(id);
        assertThat(attempts).hasSize(2);
        assertThat(attempts.get(0).get("status_code")).isNull();
        assertThat((String) attempts.get(0).get("error")).startsWith("timeout after 300 ms");
        assertThat((Integer) attempts.get(0).get("duration_ms")).isBetween(250, 2_000);
        assertThat(attempts.get(1).get("status_code")).isEqualTo(200);
    }

    @Test
    void aReplicaKilledMidAttemptLosesNothingAndAnotherReplicaDeliversTheSameId() {
        // attempt 1: 500; attempt 2: the receiver never answers, and the replica sending it is killed; attempt 3: 200
        receiver.behave(call -> switch (call.previousWithSameId()) {
            case 0 -> Answer.status(500);
            case 1 -> Answer.hang();
            default -> Answer.ok();
        });
        WebhookProperties properties = properties(Duration.ofSeconds(5), Duration.ofSeconds(6), Duration.ofSeconds(60));
        WebhookDispatcher a = dispatcher("a", properties);
        WebhookDispatcher b = dispatcher("b", properties);
        submit(List.of("started"));
        db.queue.claim("w1").orElseThrow();

        await().atMost(Duration.ofSeconds(10))
                .until(() -> receiver.received().size() == 2 && a.inFlight() + b.inFlight() == 1);
        WebhookDispatcher sender = a.inFlight() == 1 ? a : b;
        WebhookDispatcher survivor = sender == a ? b : a;
        sender.kill();
        UUID id = UUID.fromString(receiver.received().get(0).id());
        // the claim hides the row from the survivor until it times out: no early duplicate
        assertThat(status(id)).isEqualTo("PENDING");
        await().during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(3))
                .until(() -> receiver.received().size() == 2);

        await().atMost(Duration.ofSeconds(15)).until(() -> status(id).equals("DELIVERED"));
        assertThat(receiver.received()).hasSize(3).extracting(Received::id).containsOnly(id.toString());
        assertThat(receiver.received()).allMatch(r -> StandardWebhooksVerifier.verify(secret, r));
        List<Map<String, Object>> attempts = attempts(id);
        // the killed attempt (2) was never recorded; the survivor's attempt is number 3
        assertThat(attempts).extracting(r -> r.get("attempt")).containsExactly(1, 3);
        assertThat(attempts.get(1).get("replica")).isEqualTo(survivor.replica());
        assertThat(attempts.get(1).get("status_code")).isEqualTo(200);
    }

    @Test
    void twoReplicasDeliverEveryEventOfFortyJobsExactlyOnceWhenTheReceiverAnswers() {
        dispatcher("a", fast());
        dispatcher("b", fast());
        int jobs = 40;
        for (int i = 0; i < jobs; i++) submit(List.of("started", "succeeded"));
        for (int i = 0; i < jobs; i++) {
            ClaimedJob c = db.queue.claim("w").orElseThrow();
            db.queue.complete(c.lease());
        }
        await().atMost(Duration.ofSeconds(30))
                .until(() -> receiver.received().size() >= 2 * jobs
                        && db.jdbc
                                        .sql("SELECT count(*) FROM webhook_deliveries WHERE status = 'DELIVERED'")
                                        .query(Long.class)
                                        .single()
                                == 2 * jobs);
        await().during(Duration.ofMillis(500)).until(() -> receiver.received().size() == 2 * jobs);
        Map<String, Long> perId =
                receiver.received().stream().collect(Collectors.groupingBy(Received::id, Collectors.counting()));
        assertThat(perId).hasSize(2 * jobs);
        assertThat(perId.values()).containsOnly(1L);
        Map<String, Long> perJobAndType = receiver.received().stream()
                .collect(Collectors.groupingBy(
                        r -> JSON.readTree(r.body()).get("data").get("id").stringValue() + " " + type(r),
                        Collectors.counting()));
        assertThat(perJobAndType).hasSize(2 * jobs);
        // both replicas took part
        assertThat(counter("a", "vlm3d.webhooks.delivered") + counter("b", "vlm3d.webhooks.delivered"))
                .isEqualTo(2.0 * jobs);
    }

    @Test
    void onlyTheEventsAskedForAreSentAndProgressIsThrottled() {
        dispatcher("a", fast());
        Job filtered = submit(receiver.url("/filtered"), List.of("progress", "failed"), Duration.ZERO);
        Job throttled = submit(receiver.url("/throttled"), List.of("progress"), Duration.ofHours(1));
        Job cancelled = submit(receiver.url("/cancelled"), null, Duration.ZERO);
        db.repository.requestCancel(cancelled.id(), OwnerScope.everyone());

        ClaimedJob a = db.queue.claim("w").orElseThrow();
        ClaimedJob b = db.queue.claim("w").orElseThrow();
        ClaimedJob first = a.job().id().equals(filtered.id()) ? a : b;
        ClaimedJob second = first == a ? b : a;
        for (int step = 1; step <= 3; step++) {
            db.queue.recordStep(first.lease(), new StepUpdate(step, 10, "generating", Map.of()));
            db.queue.recordStep(second.lease(), new StepUpdate(step, 10, "generating", Map.of()));
        }
        db.queue.failPermanently(first.lease(), "CONTENT_POLICY", "refused");
        db.queue.complete(second.lease());

        await().atMost(Duration.ofSeconds(10))
                .until(() -> db.jdbc
                                .sql("SELECT count(*) FROM webhook_deliveries WHERE status <> 'DELIVERED'")
                                .query(Long.class)
                                .single()
                        == 0);
        await().during(Duration.ofMillis(300)).until(() -> receiver.received().size() == 6);
        Map<String, List<String>> byPath = new HashMap<>();
        for (Received r : receiver.received()) {
            String job = JSON.readTree(r.body()).get("data").get("id").stringValue();
            byPath.computeIfAbsent(job, k -> new ArrayList<>()).add(type(r));
        }
        // parallel senders: events of one job may arrive out of order (receivers order them by timestamp)
        assertThat(byPath.get(filtered.id().toString()))
                .containsExactlyInAnyOrder("job.progress", "job.progress", "job.progress", "job.failed");
        // one progress event per hour at most, no started or succeeded (not asked for)
        assertThat(byPath.get(throttled.id().toString())).containsExactly("job.progress");
        // all events by default; a job cancelled while queued never started
        assertThat(byPath.get(cancelled.id().toString())).containsExactly("job.cancelled");
        Received failed = receiver.received().stream()
                .filter(r -> type(r).equals("job.failed"))
                .findFirst()
                .orElseThrow();
        assertThat(JSON.readTree(failed.body())
                        .get("data")
                        .get("error")
                        .get("code")
                        .stringValue())
                .isEqualTo("CONTENT_POLICY");
    }

    @Test
    void aDeliveryThatKeepsFailingPastTheRetryWindowIsFailedAndCounted() {
        receiver.behave(call -> Answer.status(503));
        dispatcher("a", properties(Duration.ofMillis(500), Duration.ofMillis(1500), Duration.ofSeconds(1)));
        submit(List.of("started"));
        db.queue.claim("w").orElseThrow();

        await().atMost(Duration.ofSeconds(10))
                .until(() -> db.jdbc
                                .sql("SELECT count(*) FROM webhook_deliveries WHERE status = 'FAILED'")
                                .query(Long.class)
                                .single()
                        == 1);
        UUID id = UUID.fromString(receiver.received().get(0).id());
        assertThat(attempts(id)).isNotEmpty().allMatch(a -> Integer.valueOf(503).equals(a.get("status_code")));
        assertThat(attempts(id).size()).isEqualTo(receiver.received().size());
        assertThat(counter("a", "vlm3d.webhooks.failed")).isEqualTo(1.0);
        assertThat(counter("a", "vlm3d.webhooks.delivered")).isZero();
        int sent = receiver.received().size();
        await().during(Duration.ofMillis(800)).until(() -> receiver.received().size() == sent);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> registries
                                .get("a")
                                .get("vlm3d.webhooks.pending")
                                .gauge()
                                .value()
                        == 0.0);
    }

    @Test
    void aTargetThatNowResolvesToAPrivateAddressIsRefusedAtDeliveryTime() {
        // accepted at submission (then public); by delivery time its name points at loopback (DNS rebinding)
        WebhookTargets rebound =
                new WebhookTargets(List.of(), host -> new InetAddress[] {InetAddress.getByName("127.0.0.1")});
        dispatcher("a", fast(), rebound);
        Job job = submit(
                "http://rebinding.example:" + receiver.url("").replaceAll(".*:", "") + "/hook",
                List.of("started"),
                Duration.ZERO);
        db.queue.claim("w").orElseThrow();

        await().atMost(Duration.ofSeconds(10))
                .until(() -> db.jdbc
                                .sql("SELECT count(*) FROM webhook_deliveries WHERE status = 'FAILED' AND job_id = :j")
                                .param("j", job.id())
                                .query(Long.class)
                                .single()
                        == 1);
        String error = db.jdbc
                .sql("SELECT last_error FROM webhook_deliveries WHERE job_id = :j")
                .param("j", job.id())
                .query(String.class)
                .single();
        assertThat(error).contains("resolves to 127.0.0.1");
        assertThat(receiver.received()).isEmpty();
    }

    @Test
    void duringASecretRotationBothSecretsSignAndAfterTheOverlapOnlyTheNewOne() {
        ApiKeyService keys = new ApiKeyService(
                db.repositories.get(ApiKeyRepository.class), new SecurityProperties(null, null, null, null));
        String old = secret;
        String rotated = keys.rotateWebhookSecret(db.owner, Duration.ofHours(1))
                .orElseThrow()
                .webhookSecret();
        dispatcher("a", fast());
        submit(List.of("started"));
        db.queue.claim("w").orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() == 1);
        Received during = receiver.received().get(0);
        assertThat(during.signature().split(" ")).hasSize(2);
        assertThat(StandardWebhooksVerifier.verify(old, during)).isTrue();
        assertThat(StandardWebhooksVerifier.verify(rotated, during)).isTrue();

        String latest =
                keys.rotateWebhookSecret(db.owner, Duration.ZERO).orElseThrow().webhookSecret();
        receiver.clear();
        submit(List.of("started"));
        db.queue.claim("w").orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() == 1);
        Received after = receiver.received().get(0);
        assertThat(after.signature().split(" ")).hasSize(1);
        assertThat(StandardWebhooksVerifier.verify(latest, after)).isTrue();
        assertThat(StandardWebhooksVerifier.verify(rotated, after)).isFalse();
        assertThat(StandardWebhooksVerifier.verify(old, after)).isFalse();
    }

    @Test
    void aRetryAfterTheRequeueOfAJobDoesNotSendStartedAgain() {
        dispatcher("a", fast());
        Job job = submit(List.of("started"));
        ClaimedJob first = db.queue.claim("w").orElseThrow();
        db.queue.failTransiently(first.lease(), "OOM", "out of memory");
        db.makeDue(job.id());
        db.queue.claim("w").orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received().size() == 1);
        await().during(Duration.ofMillis(500)).until(() -> receiver.received().size() == 1);
        assertThat(Set.copyOf(types())).containsExactly("job.started");
    }
}
