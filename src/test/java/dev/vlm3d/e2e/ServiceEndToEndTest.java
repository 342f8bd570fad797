package dev.vlm3d.e2e;

import static dev.vlm3d.testsupport.ContractClient.get;
import static dev.vlm3d.testsupport.ContractClient.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.testsupport.ContractClient;
import dev.vlm3d.testsupport.ContractClient.Exchange;
import dev.vlm3d.testsupport.TestDatabase;
import dev.vlm3d.worker.JobGeneratorFactory;
import dev.vlm3d.worker.ScriptedGenerator;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The whole service as deployed: Spring wiring, workers started from properties with a (test) generator factory,
 * NOTIFY wake-up, SSE, artifacts, health and logs.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "vlm3d.security.admin-key=" + ServiceEndToEndTest.ADMIN,
            "vlm3d.worker.enabled=true",
            "vlm3d.worker.count=2",
            "vlm3d.worker.devices=gpu0,gpu1",
            "vlm3d.queue.poll-interval=30s"
        })
@ExtendWith(OutputCaptureExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DirtiesContext
class ServiceEndToEndTest {

    static final String ADMIN = "e2e-admin-key-0123456789";

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) throws java.io.IOException {
        TestDatabase.register(registry, TestDatabase.freshSchema(ServiceEndToEndTest.class));
        // the API test runs on the default Postgres store; this one wires the filesystem store
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("vlm3d-e2e-artifacts");
        registry.add("vlm3d.artifacts.store", () -> "filesystem");
        registry.add("vlm3d.artifacts.dir", dir::toString);
    }

    @TestConfiguration
    static class Engine {
        /** Primary, so it also wins over an engine factory once one is on the classpath. */
        @Bean
        @org.springframework.context.annotation.Primary
        JobGeneratorFactory testGenerators() {
            return device -> new ScriptedGenerator(10);
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    ConfigurableApplicationContext context;

    @Autowired
    JdbcClient jdbc;

    @Test
    @Order(1)
    void aSubmittedJobIsPickedUpByAWorkerStreamedAndDownloadable(CapturedOutput output) {
        ContractClient api = new ContractClient(port);
        String prompt = "a wooden rocking horse";
        long submittedAt = System.nanoTime();
        Exchange created = api.send(post("/jobs", "{\"prompt\": \"" + prompt + "\", \"steps\": 30, \"seed\": 11}")
                .token(ADMIN));
        assertThat(created.status()).isEqualTo(202);
        String id = created.json().get("id").stringValue();

        List<JsonNode> events = api.readEvents("/jobs/" + id + "/events", ADMIN, Duration.ofSeconds(30));
        Duration endToEnd = Duration.ofNanos(System.nanoTime() - submittedAt);

        // the poll interval is 30 s, so finishing well within it shows the NOTIFY wake-up worked
        assertThat(endToEnd).isLessThan(Duration.ofSeconds(15));
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.get("status").stringValue()).isEqualTo("SUCCEEDED");
        assertThat(last.get("progress").doubleValue()).isEqualTo(100.0);
        assertThat(last.get("metrics").get("reward").doubleValue()).isEqualTo(30.0);
        assertThat(last.get("artifacts"))
                .extracting(a -> a.get("name").stringValue())
                .containsExactly("model.glb", "render_000.png");

        Exchange glb = api.send(get("/jobs/" + id + "/artifacts/model.glb").token(ADMIN));
        assertThat(glb.status()).isEqualTo(200);
        assertThat(glb.body()).isEqualTo(ScriptedGenerator.glbFor(prompt));

        JsonNode health = api.send(get("/actuator/health").token(ADMIN)).json();
        JsonNode workers = health.get("components").get("workers");
        assertThat(workers.get("status").stringValue()).isEqualTo("UP");
        assertThat(workers.get("details").get("engine").stringValue()).isEqualTo("available");
        assertThat(workers.get("details").get("workers")).hasSize(2);

        assertThat(output.getAll()).contains("[job=" + id + "]");
    }

    /** Runs last: it stops the application the way SIGTERM does. */
    @Test
    @Order(2)
    void shuttingTheApplicationDownCheckpointsTheRunningJobAndQueuesItAgain() {
        ContractClient api = new ContractClient(port);
        String id = api.send(post("/jobs", "{\"prompt\": \"long\", \"steps\": 20000}")
                        .token(ADMIN))
                .json()
                .get("id")
                .stringValue();
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> jdbc.sql("SELECT step FROM jobs WHERE id = CAST(:id AS uuid)")
                                .param("id", id)
                                .query(Integer.class)
                                .single()
                        >= 3);

        // stops every lifecycle bean in phase order, as SIGTERM does before the context is destroyed
        context.stop();

        var row = jdbc.sql("SELECT status, failures, checkpoint_step, worker_id FROM jobs WHERE id = CAST(:id AS uuid)")
                .param("id", id)
                .query()
                .singleRow();
        assertThat(row.get("status")).isEqualTo("QUEUED");
        assertThat(row.get("failures")).isEqualTo(0);
        assertThat((Integer) row.get("checkpoint_step")).isGreaterThanOrEqualTo(3);
        assertThat(row.get("worker_id")).isNull();
        assertThat(jdbc.sql("SELECT count(*) FROM artifacts WHERE job_id = CAST(:id AS uuid) AND kind = 'CHECKPOINT' "
                                + "AND file_path IS NOT NULL")
                        .param("id", id)
                        .query(Integer.class)
                        .single())
                .isEqualTo(1);
    }
}
