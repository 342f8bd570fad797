package dev.vlm3d.api;

import static dev.vlm3d.testsupport.ContractClient.get;
import static dev.vlm3d.testsupport.ContractClient.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vlm3d.artifacts.ArtifactKind;
import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.jobs.ClaimedJob;
import dev.vlm3d.jobs.JobQueue;
import dev.vlm3d.testsupport.ContractClient;
import dev.vlm3d.testsupport.ContractClient.Exchange;
import dev.vlm3d.testsupport.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Retention over HTTP, every exchange checked against openapi.yaml: time to live per key and per job, the expiry
 * sweep of the running service (every 200 ms here) turning finished jobs with a short TTL into EXPIRED ones whose
 * artifacts and retained checkpoint are gone (410 on their artifact endpoints) while other jobs keep theirs, and the
 * stored-bytes gauge following along. Workers are off; the test plays the worker through {@link JobQueue}.
 */
// closed after the class: a cached context keeps its pool's connections open, and the suite's contexts together
// would exceed PostgreSQL's max_connections (100)
@DirtiesContext
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "vlm3d.security.admin-key=" + RetentionApiTest.ADMIN,
            "vlm3d.security.key-cache-ttl=0s",
            "vlm3d.worker.enabled=false",
            "vlm3d.artifacts.retain-failed-checkpoints=true",
            "vlm3d.retention.default-ttl=1h",
            "vlm3d.retention.sweep-interval=200ms",
            "vlm3d.retention.storage-metrics-refresh=200ms"
        })
class RetentionApiTest {

    static final String ADMIN = "retention-admin-key-0123456789";

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry, TestDatabase.freshSchema(RetentionApiTest.class));
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    JobQueue queue;

    @Autowired
    ArtifactStore artifacts;

    ContractClient api;

    @BeforeEach
    void setUp() {
        jdbc.sql("TRUNCATE jobs CASCADE").update();
        jdbc.sql("DELETE FROM api_keys WHERE NOT admin").update();
        api = new ContractClient(port);
    }

    private String createKey(String body) {
        Exchange created = api.send(post("/api-keys", body).token(ADMIN));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        return created.json().get("token").stringValue();
    }

    private JsonNode submit(String token, String body) {
        Exchange e = api.send(post("/jobs", body).token(token));
        assertThat(e.status()).as(e.text()).isEqualTo(202);
        return e.json();
    }

    /** Runs the oldest queued job to its end: SUCCEEDED with a model of {@code size} bytes, or FAILED with its checkpoint. */
    private void finish(String id, int size, boolean succeed) throws Exception {
        ClaimedJob claimed = queue.claim("test-worker").orElseThrow();
        assertThat(claimed.job().id().toString()).isEqualTo(id);
        artifacts.put(
                claimed.job().id(),
                claimed.lease().attempt(),
                ArtifactKind.CHECKPOINT,
                "state",
                "application/octet-stream",
                new byte[4096]);
        if (succeed) {
            artifacts.put(
                    claimed.job().id(),
                    claimed.lease().attempt(),
                    ArtifactKind.OUTPUT,
                    "model.glb",
                    "model/gltf-binary",
                    new byte[size]);
            artifacts.delete(claimed.job().id(), ArtifactKind.CHECKPOINT, "state"); // as the worker does on success
            queue.complete(claimed.lease());
        } else {
            queue.failPermanently(claimed.lease(), "GENERATOR_ERROR", "boom");
        }
    }

    private void assertProblem(Exchange e, int status, String code) {
        assertThat(e.status()).as(e.text()).isEqualTo(status);
        assertThat(e.contentType()).startsWith("application/problem+json");
        assertThat(e.json().get("code").stringValue()).isEqualTo(code);
        assertThat(e.json().get("status").intValue()).isEqualTo(status);
    }

    private double gauge(String metrics, String kind) {
        Matcher m = Pattern.compile("(?m)^vlm3d_artifacts_stored_bytes\\{[^}]*kind=\"" + kind + "\"[^}]*} (\\S+)$")
                .matcher(metrics);
        assertThat(m.find())
                .as("vlm3d_artifacts_stored_bytes{kind=%s} in\n%s", kind, metrics)
                .isTrue();
        return Double.parseDouble(m.group(1));
    }

    private void awaitStoredBytes(double output, double checkpoint) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String metrics = api.send(get("/actuator/prometheus").token(ADMIN)).text();
            assertThat(gauge(metrics, "OUTPUT")).isEqualTo(output);
            assertThat(gauge(metrics, "CHECKPOINT")).isEqualTo(checkpoint);
        });
    }

    @Test
    void ttlComesFromTheKeyAJobMayShortenItAndOnlyAllowedKeysKeepJobsForever() {
        Exchange key = api.send(post("/api-keys", "{\"name\": \"short\", \"default_ttl_seconds\": 600}")
                .token(ADMIN));
        assertThat(key.json().get("default_ttl_seconds").longValue()).isEqualTo(600);
        assertThat(key.json().get("allow_no_expiry").booleanValue()).isFalse();
        String shortKey = key.json().get("token").stringValue();
        String plain = createKey("{\"name\": \"plain\"}");
        String forever = createKey("{\"name\": \"archive\", \"allow_no_expiry\": true}");

        assertThat(submit(shortKey, "{\"prompt\": \"a\"}").get("ttl_seconds").longValue())
                .isEqualTo(600);
        assertThat(submit(shortKey, "{\"prompt\": \"b\", \"ttl_seconds\": 60}")
                        .get("ttl_seconds")
                        .longValue())
                .isEqualTo(60);
        assertThat(submit(plain, "{\"prompt\": \"c\"}").get("ttl_seconds").longValue())
                .as("the service default")
                .isEqualTo(3600);
        JsonNode kept = submit(forever, "{\"prompt\": \"d\", \"no_expiry\": true}");
        assertThat(kept.has("ttl_seconds")).isFalse();
        assertThat(kept.has("expires_at")).isFalse();

        assertProblem(
                api.send(post("/jobs", "{\"prompt\": \"e\", \"ttl_seconds\": 601}")
                        .token(shortKey)),
                400,
                "TTL_TOO_LONG");
        assertProblem(
                api.send(post("/jobs", "{\"prompt\": \"f\", \"no_expiry\": true}")
                        .token(plain)),
                403,
                "NO_EXPIRY_NOT_ALLOWED");
        assertProblem(
                api.send(post("/jobs", "{\"prompt\": \"g\", \"ttl_seconds\": 0}")
                        .token(plain)
                        .invalidRequest()),
                400,
                "INVALID_FIELD");
        assertProblem(
                api.send(post("/jobs", "{\"prompt\": \"h\", \"ttl_seconds\": 5, \"no_expiry\": true}")
                        .token(forever)),
                400,
                "INVALID_FIELD");
        assertProblem(
                api.send(post("/api-keys", "{\"name\": \"x\", \"default_ttl_seconds\": \"1d\"}")
                        .token(ADMIN)
                        .invalidRequest()),
                400,
                "INVALID_FIELD");
    }

    @Test
    void aShortTtlExpiresFinishedJobsTheirArtifactsAnswer410AndOtherJobsAreUntouched() throws Exception {
        String alice = createKey("{\"name\": \"alice\", \"default_ttl_seconds\": 1}");
        String bob = createKey("{\"name\": \"bob\", \"allow_no_expiry\": true}");
        String succeeded =
                submit(alice, "{\"prompt\": \"expires, succeeded\"}").get("id").stringValue();
        String failed =
                submit(alice, "{\"prompt\": \"expires, failed\"}").get("id").stringValue();
        String keptForever = submit(bob, "{\"prompt\": \"kept forever\", \"no_expiry\": true}")
                .get("id")
                .stringValue();
        String keptAnHour =
                submit(bob, "{\"prompt\": \"kept an hour\"}").get("id").stringValue();

        finish(succeeded, 1000, true);
        finish(failed, 0, false);
        finish(keptForever, 3000, true);
        finish(keptAnHour, 5000, true);

        JsonNode done = api.send(get("/jobs/" + succeeded).token(alice)).json();
        assertThat(done.get("status").stringValue()).isIn("SUCCEEDED", "EXPIRED");
        assertThat(Instant.parse(done.get("expires_at").stringValue()))
                .isEqualTo(Instant.parse(done.get("finished_at").stringValue()).plusSeconds(1));
        assertThat(api.send(get("/jobs/" + keptForever).token(bob)).json().has("expires_at"))
                .isFalse();

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(api.send(get("/jobs/" + succeeded).token(alice))
                            .json()
                            .get("status")
                            .stringValue())
                    .isEqualTo("EXPIRED");
            assertThat(api.send(get("/jobs/" + failed).token(alice))
                            .json()
                            .get("status")
                            .stringValue())
                    .isEqualTo("EXPIRED");
            assertThat(jdbc.sql("SELECT count(*) FROM artifacts WHERE job_id IN (:a, :b)")
                            .param("a", UUID.fromString(succeeded))
                            .param("b", UUID.fromString(failed))
                            .query(Integer.class)
                            .single())
                    .as("outputs and the retained checkpoint are deleted")
                    .isZero();
        });

        JsonNode expired = api.send(get("/jobs/" + succeeded).token(alice)).json();
        assertThat(expired.get("prompt").stringValue()).isEqualTo("expires, succeeded");
        assertThat(expired.get("stage").stringValue()).isEqualTo("done");
        assertThat(expired.get("expires_at").stringValue())
                .isEqualTo(done.get("expires_at").stringValue());
        assertThat(expired.get("artifacts")).isEmpty();
        JsonNode expiredFailure = api.send(get("/jobs/" + failed).token(alice)).json();
        assertThat(expiredFailure.get("error").get("code").stringValue()).isEqualTo("GENERATOR_ERROR");
        assertProblem(api.send(get("/jobs/" + succeeded + "/artifacts").token(alice)), 410, "JOB_EXPIRED");
        assertProblem(
                api.send(get("/jobs/" + succeeded + "/artifacts/model.glb").token(alice)), 410, "JOB_EXPIRED");
        assertProblem(api.send(post("/jobs/" + succeeded + "/cancel", null).token(alice)), 409, "JOB_ALREADY_FINISHED");
        assertThat(api.send(get("/jobs/" + succeeded + "/metrics").token(alice)).status())
                .as("metadata is kept")
                .isEqualTo(200);
        JsonNode listed = api.send(get("/jobs?status=EXPIRED").token(alice)).json();
        assertThat(listed.get("jobs")).hasSize(2);

        for (String id : new String[] {keptForever, keptAnHour}) {
            assertThat(api.send(get("/jobs/" + id).token(bob))
                            .json()
                            .get("status")
                            .stringValue())
                    .isEqualTo("SUCCEEDED");
            Exchange download =
                    api.send(get("/jobs/" + id + "/artifacts/model.glb").token(bob));
            assertThat(download.status()).isEqualTo(200);
            assertThat(download.body()).hasSize(id.equals(keptForever) ? 3000 : 5000);
        }
        awaitStoredBytes(8000, 0);
    }

    @Test
    void storedBytesByKindFollowTheStore() throws Exception {
        String carol = createKey("{\"name\": \"carol\"}");
        String first = submit(carol, "{\"prompt\": \"first\"}").get("id").stringValue();
        String second = submit(carol, "{\"prompt\": \"second\"}").get("id").stringValue();
        finish(first, 1234, true);
        finish(second, 0, false);
        awaitStoredBytes(1234, 4096);
    }
}
