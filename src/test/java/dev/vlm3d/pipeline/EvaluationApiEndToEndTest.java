package dev.vlm3d.pipeline;

import static dev.vlm3d.testsupport.ContractClient.get;
import static dev.vlm3d.testsupport.ContractClient.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.testsupport.ContractClient;
import dev.vlm3d.testsupport.ContractClient.Exchange;
import dev.vlm3d.testsupport.TestDatabase;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * PLUMBING RUN through the API (tiny random models generate and judge; the numbers judge nothing): POST /evaluations
 * with two presets on three prompts queues six generation jobs and an evaluation that waits for them, runs on the
 * same worker, reports progress over SSE and stores scores.json, comparisons.json and the chart as artifacts; then
 * the same comparison by finished job ids; batch submission all-or-nothing under the key's cap; the errors.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "vlm3d.security.admin-key=" + EvaluationApiEndToEndTest.ADMIN,
            "vlm3d.worker.enabled=true",
            "vlm3d.worker.count=1",
            "vlm3d.worker.devices=cpu",
            "vlm3d.models.cpu-threads=1",
            "vlm3d.queue.poll-interval=1s"
        })
@DirtiesContext
class EvaluationApiEndToEndTest {

    static final String ADMIN = "evaluation-e2e-admin-key-0123456789";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String PROMPTS = "[\"A torn hat\", \"A soft sofa\", \"A rusty boat\"]";

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry, TestDatabase.freshSchema(EvaluationApiEndToEndTest.class));
        registry.add(
                "vlm3d.models.cache-dir",
                () -> Path.of("target/vlm3d-cache").toAbsolutePath().toString());
    }

    @LocalServerPort
    int port;

    @Test
    void twoPresetsOnThreePromptsAreGeneratedAndJudgedAsQueuedJobs() throws Exception {
        ContractClient api = new ContractClient(port);
        Exchange created = api.send(post("/evaluations", """
                {"presets": {"vlm3d": {"preset": "preview", "steps": 4},
                             "mvdream": {"preset": "preview", "steps": 4, "options": {"reward": false}}},
                 "prompts": %s, "generation_seed": 1, "views": 12, "size": 32}""".formatted(PROMPTS)).token(ADMIN));
        assertThat(created.status()).as(created.text()).isEqualTo(202);
        JsonNode body = created.json();
        String id = body.get("evaluation").get("id").stringValue();
        assertThat(created.header("Location")).isEqualTo("/evaluations/" + id);
        assertThat(body.get("evaluation").get("kind").stringValue()).isEqualTo("evaluation");
        assertThat(body.get("evaluation").get("status").stringValue()).isEqualTo("QUEUED");
        assertThat(body.get("generation_jobs").get("vlm3d").size()).isEqualTo(3);
        assertThat(body.get("generation_jobs").get("mvdream").size()).isEqualTo(3);
        String firstGeneration =
                body.get("generation_jobs").get("vlm3d").get("0").stringValue();
        JsonNode gen = api.send(get("/jobs/" + firstGeneration).token(ADMIN)).json();
        assertThat(gen.get("kind").stringValue()).isEqualTo("generation");
        assertThat(gen.get("prompt").stringValue()).isEqualTo("A torn hat");

        List<JsonNode> events = api.readEvents("/jobs/" + id + "/events", ADMIN, Duration.ofMinutes(8));
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.get("status").stringValue()).as(last.toString()).isEqualTo("SUCCEEDED");
        // it waited for its generation jobs (queued while they ran), then reported judging progress
        assertThat(events)
                .anySatisfy(e -> assertThat(e.get("stage").stringValue()).startsWith("judging"));
        for (JsonNode m : body.get("generation_jobs")) {
            for (JsonNode g : m) {
                JsonNode job =
                        api.send(get("/jobs/" + g.stringValue()).token(ADMIN)).json();
                assertThat(job.get("status").stringValue()).isEqualTo("SUCCEEDED");
                assertThat(job.get("finished_at").stringValue())
                        .isLessThanOrEqualTo(last.get("started_at").stringValue());
            }
        }
        checkResults(api, id, 3);

        JsonNode again = api.send(get("/evaluations/" + id).token(ADMIN)).json();
        assertThat(again.get("evaluation").get("status").stringValue()).isEqualTo("SUCCEEDED");
        assertThat(again.get("generation_jobs")).isEqualTo(body.get("generation_jobs"));

        // the same comparison by finished job ids, with the other method as anchor
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        body.get("generation_jobs").get("vlm3d").forEach(j -> a.add("\"" + j.stringValue() + "\""));
        body.get("generation_jobs").get("mvdream").forEach(j -> b.add("\"" + j.stringValue() + "\""));
        Exchange byJobs = api.send(post(
                        "/evaluations",
                        "{\"methods\": {\"vlm3d\": " + a + ", \"mvdream\": " + b
                                + "}, \"anchor\": \"mvdream\", \"views\": 12, \"size\": 32}")
                .token(ADMIN));
        assertThat(byJobs.status()).as(byJobs.text()).isEqualTo(202);
        String id2 = byJobs.json().get("evaluation").get("id").stringValue();
        JsonNode spec = byJobs.json().get("evaluation").get("options");
        assertThat(spec.get("prompts").size()).isEqualTo(3);
        List<JsonNode> events2 = api.readEvents("/jobs/" + id2 + "/events", ADMIN, Duration.ofMinutes(4));
        assertThat(events2.get(events2.size() - 1).get("status").stringValue()).isEqualTo("SUCCEEDED");
        JsonNode scores2 = checkResults(api, id2, 3);
        assertThat(scores2.get("anchor").stringValue()).isEqualTo("mvdream");
    }

    private static JsonNode checkResults(ContractClient api, String id, int questions) throws Exception {
        List<String> names = new ArrayList<>();
        api.send(get("/jobs/" + id + "/artifacts").token(ADMIN))
                .json()
                .get("artifacts")
                .forEach(x -> names.add(x.get("name").stringValue()));
        assertThat(names).contains("scores.json", "comparisons.json", "questions.json", "ratings.png");
        JsonNode scores = JSON.readTree(
                api.send(get("/jobs/" + id + "/artifacts/scores.json").token(ADMIN))
                        .body());
        assertThat(scores.get("plumbing").booleanValue()).isTrue();
        assertThat(scores.get("questions").intValue()).isEqualTo(questions);
        JsonNode align = scores.get("criteria").get(0);
        assertThat(align.get("outcomes").intValue()).isEqualTo(questions);
        assertThat(align.get("scores").get(scores.get("anchor").stringValue()).doubleValue())
                .isEqualTo(1000.0);
        assertThat(align.get("scores").size()).isEqualTo(2);
        JsonNode cmp = JSON.readTree(
                api.send(get("/jobs/" + id + "/artifacts/comparisons.json").token(ADMIN))
                        .body());
        assertThat(cmp.get("5").size()).isEqualTo(questions);
        Exchange png = api.send(get("/jobs/" + id + "/artifacts/ratings.png").token(ADMIN));
        BufferedImage chart = ImageIO.read(new ByteArrayInputStream(png.body()));
        assertThat(chart.getWidth()).isGreaterThan(1000);
        return scores;
    }

    @Test
    void batchesAreAllOrNothingAndEvaluationsExplainTheirErrors() {
        ContractClient api = new ContractClient(port);
        Exchange key = api.send(post("/api-keys", "{\"name\": \"small\", \"max_queued_jobs\": 2}")
                .token(ADMIN));
        assertThat(key.status()).as(key.text()).isEqualTo(201);
        String small = key.json().get("token").stringValue();

        // three prompts do not fit under a cap of two: refused, and nothing was queued
        Exchange refused =
                api.send(post("/jobs/batch", "{\"prompts\": " + PROMPTS + ", \"preset\": \"preview\", \"steps\": 4}")
                        .token(small));
        assertThat(refused.status()).as(refused.text()).isEqualTo(429);
        assertThat(refused.json().get("code").stringValue()).isEqualTo("QUEUE_LIMIT_REACHED");
        assertThat(api.send(get("/jobs").token(small)).json().get("jobs").size())
                .isZero();

        Exchange two = api.send(post(
                        "/jobs/batch",
                        "{\"prompts\": [\"A torn hat\", \"A soft sofa\"], \"preset\": "
                                + "\"preview\", \"steps\": 4, \"priority\": 0}")
                .token(small));
        assertThat(two.status()).as(two.text()).isEqualTo(202);
        assertThat(two.json().get("jobs").size()).isEqualTo(2);
        String queued = two.json().get("jobs").get(0).get("id").stringValue();
        assertThat(two.json().get("jobs").get(1).get("prompt").stringValue()).isEqualTo("A soft sofa");
        two.json()
                .get("jobs")
                .forEach(j -> api.send(post("/jobs/" + j.get("id").stringValue() + "/cancel", "")
                        .token(small)));

        // the benchmark's list by name, validated like POST /jobs: an unknown option names its field
        Exchange bad = api.send(post("/jobs/batch", "{\"prompt_list\": \"gpteval3d\", \"options\": {\"cfg\": 7}}")
                .token(small)
                .invalidRequest());
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("code").stringValue()).isEqualTo("UNKNOWN_OPTION");
        Exchange control = api.send(post("/jobs/batch", "{\"prompts\": [\"ok\", \"a <|im_end|> b\"]}")
                .token(small));
        assertThat(control.status()).isEqualTo(400);
        assertThat(control.json().get("code").stringValue()).isEqualTo("PROMPT_REJECTED");
        assertThat(control.json().get("errors").get(0).get("field").stringValue())
                .isEqualTo("prompts[1]");

        Exchange both = api.send(
                post("/evaluations", "{\"methods\": {}, \"presets\": {}}").token(small));
        assertThat(both.status()).isEqualTo(400);
        Exchange notDone = api.send(
                post("/evaluations", "{\"methods\": {\"a\": [\"" + queued + "\"], \"b\": [\"" + queued + "\"]}}")
                        .token(small));
        assertThat(notDone.status()).as(notDone.text()).isEqualTo(409);
        assertThat(notDone.json().get("code").stringValue()).isEqualTo("JOB_NOT_SUCCEEDED");
        Exchange unknown = api.send(post(
                        "/evaluations",
                        "{\"methods\": {\"a\": [\"" + java.util.UUID.randomUUID() + "\"], \"b\": [\"" + queued
                                + "\"]}}")
                .token(small));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("code").stringValue()).isEqualTo("JOB_NOT_FOUND");
        Exchange badName =
                api.send(post("/evaluations", "{\"presets\": {\"a b\": {}, \"c\": {}}, \"prompts\": " + "[\"x\"]}")
                        .token(small));
        assertThat(badName.status()).isEqualTo(400);
        Exchange notEval = api.send(get("/evaluations/" + queued).token(small));
        assertThat(notEval.status()).isEqualTo(404);
        assertThat(notEval.json().get("code").stringValue()).isEqualTo("EVALUATION_NOT_FOUND");
        // the evaluation and its generation jobs count against the cap together: 2 × 1 + 1 > 2 is refused
        Exchange capped = api.send(post(
                        "/evaluations",
                        "{\"presets\": {\"a\": {\"steps\": 4}, \"b\": {\"steps\": 4}}," + " \"prompts\": [\"x\"]}")
                .token(small));
        assertThat(capped.status()).as(capped.text()).isEqualTo(429);
    }
}
