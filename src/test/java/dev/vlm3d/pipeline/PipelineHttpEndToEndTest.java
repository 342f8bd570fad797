package dev.vlm3d.pipeline;

import static dev.vlm3d.testsupport.ContractClient.get;
import static dev.vlm3d.testsupport.ContractClient.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.engine.GltfValidator;
import dev.vlm3d.testsupport.ContractClient;
import dev.vlm3d.testsupport.ContractClient.Exchange;
import dev.vlm3d.testsupport.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The real pipeline behind the real service, with the default (tiny random) models: POST /jobs → a worker runs
 * MVDream SDS + the Qwen2.5-VL reward + the NeRF loop → SSE progress → SUCCEEDED → a GLB the Khronos validator
 * accepts, renders, turntable and curves. The same seed with the reward off proves the reward reached the gradient.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "vlm3d.security.admin-key=" + PipelineHttpEndToEndTest.ADMIN,
            "vlm3d.worker.enabled=true",
            "vlm3d.worker.count=1",
            "vlm3d.worker.devices=cpu",
            "vlm3d.models.cpu-threads=1",
            "vlm3d.queue.poll-interval=1s"
        })
@DirtiesContext
class PipelineHttpEndToEndTest {

    static final String ADMIN = "pipeline-e2e-admin-key-0123456789";
    private static final int STEPS = 8;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry, TestDatabase.freshSchema(PipelineHttpEndToEndTest.class));
        registry.add(
                "vlm3d.models.cache-dir",
                () -> Path.of("target/vlm3d-cache").toAbsolutePath().toString());
    }

    @LocalServerPort
    int port;

    @Test
    void aPromptBecomesAValidGlbWithRendersAndCurvesAndTheRewardChangesTheRun() throws Exception {
        ContractClient api = new ContractClient(port);
        String withReward = submit(api, "{}");
        String baseline = submit(api, "{\"reward\": false}");

        List<JsonNode> events = api.readEvents("/jobs/" + withReward + "/events", ADMIN, Duration.ofMinutes(4));
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.get("status").stringValue()).as(last.toString()).isEqualTo("SUCCEEDED");
        assertThat(events).anySatisfy(e -> {
            assertThat(e.get("status").stringValue()).isEqualTo("RUNNING");
            assertThat(e.get("stage").stringValue()).isEqualTo("optimizing (tiny random models)");
            assertThat(e.get("step").intValue()).isBetween(1, STEPS);
        });
        assertThat(last.get("metrics").get("reward").isNumber()).isTrue();
        List<JsonNode> baselineEvents = api.readEvents("/jobs/" + baseline + "/events", ADMIN, Duration.ofMinutes(4));
        assertThat(baselineEvents.get(baselineEvents.size() - 1).get("status").stringValue())
                .isEqualTo("SUCCEEDED");

        // effective options are stored and echoed
        JsonNode job = api.send(get("/jobs/" + baseline).token(ADMIN)).json();
        assertThat(job.get("preset").stringValue()).isEqualTo("preview");
        assertThat(job.get("options").get("reward").booleanValue()).isFalse();
        assertThat(job.get("options").get("lambda_vlm_start").doubleValue()).isEqualTo(300.0);
        assertThat(job.get("options").get("lambda_vlm_anneal_steps").intValue()).isEqualTo(STEPS);

        List<String> names = new ArrayList<>();
        api.send(get("/jobs/" + withReward + "/artifacts").token(ADMIN))
                .json()
                .get("artifacts")
                .forEach(a -> names.add(a.get("name").stringValue()));
        assertThat(names)
                .contains(
                        "model.glb",
                        "model.obj",
                        "render_rgb_000.png",
                        "render_normal_000.png",
                        "turntable.gif",
                        "curves.json",
                        "curves.csv",
                        "curves.png",
                        "run.json");

        Exchange glb =
                api.send(get("/jobs/" + withReward + "/artifacts/model.glb").token(ADMIN));
        assertThat(glb.status()).isEqualTo(200);
        assertThat(glb.contentType()).startsWith("model/gltf-binary");
        Path glbFile = Files.createTempFile("vlm3d-e2e", ".glb");
        Files.write(glbFile, glb.body());
        GltfValidator.validate(glbFile);

        Exchange png = api.send(
                get("/jobs/" + withReward + "/artifacts/render_rgb_000.png").token(ADMIN));
        assertThat(png.body()).startsWith(0x89, 'P', 'N', 'G');
        JsonNode curves = JSON.readTree(
                api.send(get("/jobs/" + withReward + "/artifacts/curves.json").token(ADMIN))
                        .body());
        assertThat(curves.get("steps")).hasSize(STEPS);
        JsonNode run = JSON.readTree(
                api.send(get("/jobs/" + withReward + "/artifacts/run.json").token(ADMIN))
                        .body());
        assertThat(run.get("models").get("mode").stringValue()).isEqualTo("tiny-random");

        JsonNode info = api.send(get("/actuator/info").token(ADMIN).skipContractForUndocumented())
                .json();
        assertThat(info.get("models").get("mode").stringValue()).isEqualTo("tiny-random");

        List<JsonNode> on = series(api, withReward);
        List<JsonNode> off = series(api, baseline);
        assertThat(on).hasSize(STEPS);
        assertThat(off).hasSize(STEPS);
        for (int i = 0; i < STEPS; i++) {
            JsonNode a = on.get(i);
            JsonNode b = off.get(i);
            // the SDS term ran on every step of both runs: a loss, a timestep and a non-zero gradient into the latents
            for (JsonNode m : List.of(a, b)) {
                assertThat(m.get("sds_loss").doubleValue()).isPositive();
                assertThat(m.get("timestep").doubleValue()).isBetween(1.0, 999.0);
                assertThat(m.get("sds_grad_norm").doubleValue()).isPositive();
            }
            // the reward ran (and was weighted) only where it was on
            assertThat(a.get("reward").isNumber()).isTrue();
            assertThat(a.get("lambda_vlm").doubleValue()).isPositive();
            assertThat(b.has("reward")).isFalse();
            assertThat(b.get("lambda_vlm").doubleValue()).isZero();
        }
        // step 1 renders the same initial field with the same noise (one libtorch thread: bit-reproducible), so the
        // two runs agree there; after the first update they differ, which only the reward's gradient can have caused
        assertThat(on.get(0).get("sds_loss").doubleValue())
                .isEqualTo(off.get(0).get("sds_loss").doubleValue());
        assertThat(on.get(0).get("orientation_loss").doubleValue())
                .isEqualTo(off.get(0).get("orientation_loss").doubleValue());
        boolean diverged = false;
        for (int i = 1; i < STEPS; i++) {
            diverged |= on.get(i).get("sds_loss").doubleValue()
                            != off.get(i).get("sds_loss").doubleValue()
                    && on.get(i).get("orientation_loss").doubleValue()
                            != off.get(i).get("orientation_loss").doubleValue();
        }
        assertThat(diverged)
                .as("reward-on and reward-off runs from one seed must diverge after step 1")
                .isTrue();
        byte[] renderOn = api.send(get("/jobs/" + withReward + "/artifacts/render_rgb_000.png")
                        .token(ADMIN))
                .body();
        byte[] renderOff = api.send(get("/jobs/" + baseline + "/artifacts/render_rgb_000.png")
                        .token(ADMIN))
                .body();
        assertThat(renderOn).isNotEqualTo(renderOff);
    }

    private static String submit(ContractClient api, String options) {
        Exchange created = api.send(post(
                        "/jobs",
                        "{\"prompt\": \"a red apple\", \"preset\": \"preview\", \"steps\": " + STEPS
                                + ", \"seed\": 5, \"options\": " + options + "}")
                .token(ADMIN));
        assertThat(created.status()).as(created.text()).isEqualTo(202);
        return created.json().get("id").stringValue();
    }

    /** The metrics of each step, in step order, as /jobs/{id}/metrics returns them. */
    private static List<JsonNode> series(ContractClient api, String id) {
        List<JsonNode> out = new ArrayList<>();
        api.send(get("/jobs/" + id + "/metrics").token(ADMIN))
                .json()
                .get("steps")
                .forEach(s -> out.add(s.get("metrics")));
        return out;
    }
}
