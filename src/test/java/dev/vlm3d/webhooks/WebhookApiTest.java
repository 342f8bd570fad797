package dev.vlm3d.webhooks;

import static dev.vlm3d.testsupport.ContractClient.get;
import static dev.vlm3d.testsupport.ContractClient.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vlm3d.jobs.ClaimedJob;
import dev.vlm3d.jobs.JobQueue;
import dev.vlm3d.jobs.StepUpdate;
import dev.vlm3d.testsupport.ContractClient;
import dev.vlm3d.testsupport.ContractClient.Exchange;
import dev.vlm3d.testsupport.StandardWebhooksVerifier;
import dev.vlm3d.testsupport.TestDatabase;
import dev.vlm3d.testsupport.WebhookReceiver;
import dev.vlm3d.testsupport.WebhookReceiver.Answer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Webhooks through the REST API, every exchange checked against openapi.yaml: subscribing on POST /jobs, the
 * signing secret shown at key creation and on rotation, refused targets, and the delivery history that only the
 * job's owner sees. Loopback is opened by the allow-list for the test's receiver; workers are off and the test plays
 * the worker through {@link JobQueue}.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "vlm3d.security.admin-key=" + WebhookApiTest.ADMIN,
            "vlm3d.security.key-cache-ttl=0s",
            "vlm3d.worker.enabled=false",
            "vlm3d.webhooks.allow-list=127.0.0.1/32",
            "vlm3d.webhooks.poll-interval=100ms",
            "vlm3d.webhooks.retry-base-delay=100ms",
            "vlm3d.webhooks.retry-max-delay=200ms",
            "vlm3d.webhooks.timeout=2s",
            "vlm3d.webhooks.claim-timeout=5s",
            "vlm3d.webhooks.progress-interval=0s"
        })
class WebhookApiTest {

    static final String ADMIN = "test-admin-key-webhooks-0123456789";
    private static WebhookReceiver receiver;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry, TestDatabase.freshSchema(WebhookApiTest.class));
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    JobQueue queue;

    ContractClient api;
    String alice;
    String aliceSecret;
    String aliceId;
    String bob;

    @BeforeAll
    static void startReceiver() throws Exception {
        receiver = new WebhookReceiver();
    }

    @AfterAll
    static void stopReceiver() {
        receiver.close();
    }

    @BeforeEach
    void setUp() {
        jdbc.sql("TRUNCATE jobs CASCADE").update();
        jdbc.sql("TRUNCATE webhook_deliveries CASCADE").update();
        jdbc.sql("DELETE FROM api_keys WHERE NOT admin").update();
        receiver.clear();
        receiver.behave(call -> Answer.ok());
        api = new ContractClient(port);
        JsonNode a = createKey("alice");
        alice = a.get("token").stringValue();
        aliceSecret = a.get("webhook_secret").stringValue();
        aliceId = a.get("id").stringValue();
        bob = createKey("bob").get("token").stringValue();
    }

    private JsonNode createKey(String name) {
        Exchange created =
                api.send(post("/api-keys", "{\"name\":\"" + name + "\"}").token(ADMIN));
        assertThat(created.status()).isEqualTo(201);
        return created.json();
    }

    private void assertProblem(Exchange e, int status, String code) {
        assertThat(e.status()).as(e.text()).isEqualTo(status);
        assertThat(e.contentType()).startsWith("application/problem+json");
        assertThat(e.json().get("code").stringValue()).isEqualTo(code);
    }

    @Test
    void theSigningSecretIsShownAtCreationOnlyAndVerifiesDeliveries() {
        assertThat(aliceSecret).startsWith("whsec_");
        Exchange list = api.send(get("/api-keys").token(ADMIN));
        assertThat(list.text()).doesNotContain(aliceSecret).doesNotContain("webhook_secret");

        Exchange created = api.send(post(
                        "/jobs",
                        "{\"prompt\": \"a red bicycle\", \"webhook_url\": \"" + receiver.url("/hooks/alice")
                                + "\", \"webhook_events\": [\"succeeded\", \"started\", \"progress\"]}")
                .token(alice));
        assertThat(created.status()).as(created.text()).isEqualTo(202);
        String id = created.json().get("id").stringValue();
        assertThat(created.json().get("webhook").get("url").stringValue()).isEqualTo(receiver.url("/hooks/alice"));
        assertThat(created.json().get("webhook").get("events"))
                .extracting(JsonNode::stringValue)
                .containsExactly("progress", "started", "succeeded");
        assertThat(created.json().get("links").get("webhooks").stringValue()).isEqualTo("/jobs/" + id + "/webhooks");

        ClaimedJob claimed = queue.claim("test-worker").orElseThrow();
        queue.recordStep(claimed.lease(), new StepUpdate(20, 40, "generating", Map.of()));
        queue.complete(claimed.lease());
        await().atMost(Duration.ofSeconds(15)).until(() -> receiver.received().size() == 3);
        assertThat(receiver.received()).allMatch(r -> StandardWebhooksVerifier.verify(aliceSecret, r));

        await().atMost(Duration.ofSeconds(5))
                .until(() -> api.send(get("/jobs/" + id + "/webhooks").token(alice))
                        .json()
                        .get("deliveries")
                        .valueStream()
                        .allMatch(d -> d.get("status").stringValue().equals("DELIVERED")));
        Exchange history = api.send(get("/jobs/" + id + "/webhooks").token(alice));
        assertThat(history.status()).isEqualTo(200);
        JsonNode deliveries = history.json().get("deliveries");
        assertThat(deliveries.valueStream().map(d -> d.get("event").stringValue()))
                .containsExactly("started", "progress", "succeeded");
        for (JsonNode d : deliveries) {
            assertThat(d.get("attempts")).hasSize(1);
            assertThat(d.get("attempts").get(0).get("status_code").intValue()).isEqualTo(200);
            assertThat(d.get("last_status_code").intValue()).isEqualTo(200);
        }
        // the three were due together and are sent concurrently, so they may arrive in any order (openapi.yaml)
        assertThat(receiver.received())
                .extracting(WebhookReceiver.Received::id)
                .containsExactlyInAnyOrderElementsOf(deliveries
                        .valueStream()
                        .map(d -> d.get("id").stringValue())
                        .toList());
    }

    @Test
    void theHistoryListsFailedAttemptsWithTheirStatusCodes() {
        receiver.behave(call -> call.previousWithSameId() == 0 ? Answer.status(502) : Answer.ok());
        String id = api.send(post(
                                "/jobs",
                                "{\"prompt\": \"a chair\", \"webhook_url\": \"" + receiver.url("/h")
                                        + "\", \"webhook_events\": [\"cancelled\"]}")
                        .token(alice))
                .json()
                .get("id")
                .stringValue();
        assertThat(api.send(post("/jobs/" + id + "/cancel", null).token(alice)).status())
                .isEqualTo(200);

        await().atMost(Duration.ofSeconds(15))
                .until(() -> api.send(get("/jobs/" + id + "/webhooks").token(alice))
                        .json()
                        .get("deliveries")
                        .get(0)
                        .get("status")
                        .stringValue()
                        .equals("DELIVERED"));
        JsonNode attempts = api.send(get("/jobs/" + id + "/webhooks").token(alice))
                .json()
                .get("deliveries")
                .get(0)
                .get("attempts");
        assertThat(attempts.valueStream().map(a -> a.get("status_code").intValue()))
                .containsExactly(502, 200);
        assertThat(attempts.get(0).get("error").stringValue()).isEqualTo("HTTP 502");
    }

    @Test
    void onlyTheJobsOwnerSeesItsWebhooks() {
        String id = api.send(post("/jobs", "{\"prompt\": \"a lamp\", \"webhook_url\": \"" + receiver.url("/h") + "\"}")
                        .token(alice))
                .json()
                .get("id")
                .stringValue();
        assertThat(api.send(get("/jobs/" + id + "/webhooks").token(alice)).status())
                .isEqualTo(200);
        assertProblem(api.send(get("/jobs/" + id + "/webhooks").token(bob)), 404, "JOB_NOT_FOUND");
        // an admin sees the job, but not where its webhooks go
        assertThat(api.send(get("/jobs/" + id).token(ADMIN)).status()).isEqualTo(200);
        assertProblem(api.send(get("/jobs/" + id + "/webhooks").token(ADMIN)), 404, "JOB_NOT_FOUND");
    }

    @ParameterizedTest
    @CsvSource({
        "http://10.0.0.5/hook, WEBHOOK_URL_FORBIDDEN",
        "http://192.168.1.10:8080/hook, WEBHOOK_URL_FORBIDDEN",
        "http://169.254.169.254/latest/meta-data, WEBHOOK_URL_FORBIDDEN",
        "http://127.0.0.2/hook, WEBHOOK_URL_FORBIDDEN",
        "http://0.0.0.0:8080/hook, WEBHOOK_URL_FORBIDDEN",
        "http://[::1]/hook, WEBHOOK_URL_FORBIDDEN",
        "http://[fd00::1]/hook, WEBHOOK_URL_FORBIDDEN",
        "http://100.64.1.1/hook, WEBHOOK_URL_FORBIDDEN",
        "https://does-not-exist.invalid/hook, WEBHOOK_URL_UNRESOLVABLE"
    })
    void privateAndUnresolvableTargetsAreRefusedWith422(String url, String code) {
        Exchange e = api.send(post("/jobs", "{\"prompt\": \"a cup\", \"webhook_url\": \"" + url + "\"}")
                .token(alice));
        assertProblem(e, 422, code);
        assertThat(e.json().get("errors").get(0).get("field").stringValue()).isEqualTo("webhook_url");
        assertThat(jdbc.sql("SELECT count(*) FROM jobs").query(Integer.class).single())
                .isZero();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "\"webhook_url\": \"ftp://example.com/x\"",
                "\"webhook_url\": \"https://user:pw@example.com/x\"",
                "\"webhook_url\": 42",
                "\"webhook_url\": \"http://127.0.0.1/x\", \"webhook_events\": []",
                "\"webhook_url\": \"http://127.0.0.1/x\", \"webhook_events\": [\"done\"]",
                "\"webhook_events\": [\"started\"]"
            })
    void malformedWebhookFieldsAreRefusedWith400(String fields) {
        Exchange e = api.send(post("/jobs", "{\"prompt\": \"a cup\", " + fields + "}")
                .token(alice)
                .invalidRequest());
        assertProblem(e, 400, "INVALID_FIELD");
    }

    @Test
    void aKeyRotatesItsOwnSecretAndBothSignDuringTheOverlap() {
        Exchange rotated =
                api.send(post("/webhook-secret", "{\"overlap_seconds\": 3600}").token(alice));
        assertThat(rotated.status()).as(rotated.text()).isEqualTo(200);
        String next = rotated.json().get("webhook_secret").stringValue();
        assertThat(next).startsWith("whsec_").isNotEqualTo(aliceSecret);
        assertThat(rotated.json().get("key_id").stringValue()).isEqualTo(aliceId);
        assertThat(rotated.json().get("previous_secret_expires_at")).isNotNull();

        api.send(post(
                        "/jobs",
                        "{\"prompt\": \"a cup\", \"webhook_url\": \"" + receiver.url("/h")
                                + "\", \"webhook_events\": [\"started\"]}")
                .token(alice));
        queue.claim("test-worker").orElseThrow();
        await().atMost(Duration.ofSeconds(15)).until(() -> receiver.received().size() == 1);
        WebhookReceiver.Received r = receiver.received().get(0);
        assertThat(StandardWebhooksVerifier.verify(aliceSecret, r)).isTrue();
        assertThat(StandardWebhooksVerifier.verify(next, r)).isTrue();

        // an admin rotates it again without overlap: only the newest secret signs from now on
        Exchange byAdmin = api.send(post("/api-keys/" + aliceId + "/webhook-secret", "{\"overlap_seconds\": 0}")
                .token(ADMIN));
        assertThat(byAdmin.status()).isEqualTo(200);
        assertThat(byAdmin.json().has("previous_secret_expires_at")).isFalse();
        assertProblem(
                api.send(post("/api-keys/" + aliceId + "/webhook-secret", null).token(bob)), 403, "ADMIN_REQUIRED");
        assertProblem(
                api.send(post("/webhook-secret", "{\"overlap_seconds\": -1}")
                        .token(alice)
                        .invalidRequest()),
                400,
                "INVALID_FIELD");
        assertProblem(
                api.send(post("/api-keys/00000000-0000-0000-0000-000000000000/webhook-secret", null)
                        .token(ADMIN)),
                404,
                "API_KEY_NOT_FOUND");
    }

    @Test
    void anIdempotentReplayWithAnotherWebhookIsAReuseOfTheKey() {
        String body = "{\"prompt\": \"a cup\", \"webhook_url\": \"" + receiver.url("/one") + "\"}";
        assertThat(api.send(post("/jobs", body).token(alice).header("Idempotency-Key", "k1"))
                        .status())
                .isEqualTo(202);
        assertThat(api.send(post("/jobs", body).token(alice).header("Idempotency-Key", "k1"))
                        .status())
                .isEqualTo(200);
        assertProblem(
                api.send(
                        post("/jobs", body.replace("/one", "/two")).token(alice).header("Idempotency-Key", "k1")),
                422,
                "IDEMPOTENCY_KEY_REUSED");
    }
}
