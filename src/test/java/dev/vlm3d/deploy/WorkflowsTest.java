package dev.vlm3d.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The GitHub Actions workflows: accepted by a workflow schema validator (action-validator, from the npm registry into
 * tools/actions by .ci/run), and structurally sound: pinned actions, steps that run something, and every file or
 * workflow they reference present in the repository.
 */
class WorkflowsTest {

    private static final Path WORKFLOWS = Path.of(".github", "workflows");
    private static final Path VALIDATOR = Path.of("tools", "actions", "node_modules", ".bin", "action-validator");
    private static final Pattern PINNED = Pattern.compile("^[\\w.-]+/[\\w./-]+@(v\\d+(\\.\\d+){0,2}|[0-9a-f]{40})$");

    static Stream<Path> workflows() throws IOException {
        try (Stream<Path> files = Files.list(WORKFLOWS)) {
            List<Path> list = files.filter(f -> f.toString().endsWith(".yml") || f.toString().endsWith(".yaml"))
                    .sorted()
                    .toList();
            assertThat(list).extracting(p -> p.getFileName().toString())
                    .contains("ci.yml", "images.yml", "chart.yml", "release.yml");
            return list.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("workflows")
    void actionValidatorAcceptsTheWorkflow(Path workflow) throws Exception {
        assumeValidatorInstalled();
        ValidatorRun run = validate(workflow);
        assertThat(run.exitCode()).as("action-validator %s:%n%s", workflow, run.output()).isZero();
    }

    /** Guards the check above: the validator really reads the workflow, so a broken one fails. */
    @Test
    void actionValidatorRejectsAnInvalidWorkflow(@TempDir Path dir) throws Exception {
        assumeValidatorInstalled();
        Path broken = dir.resolve("broken.yml");
        Files.writeString(broken, """
                on: pushed
                jobs:
                  build:
                    runs-on: ubuntu-24.04
                    step:
                      - run: echo hi
                """);
        ValidatorRun run = validate(broken);
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.output()).contains("/jobs/build").contains("/on");
    }

    @ParameterizedTest
    @MethodSource("workflows")
    void jobsAndStepsAreWellFormedAndActionsArePinned(Path workflow) throws Exception {
        Map<String, Object> root = load(workflow);
        assertThat(root.get("name")).as("name of %s", workflow).isNotNull();
        assertThat(triggers(root)).as("triggers of %s", workflow).isNotNull();
        Map<String, Object> jobs = Yamls.map(root, "jobs");
        assertThat(jobs).isNotEmpty();
        for (Map.Entry<String, Object> job : jobs.entrySet()) {
            Map<?, ?> spec = (Map<?, ?>) job.getValue();
            if (spec.containsKey("uses")) {
                String uses = spec.get("uses").toString();
                assertThat(uses).startsWith("./.github/workflows/");
                Path called = Path.of(uses.substring(2));
                assertThat(called).exists();
                assertThat(triggers(load(called))).as("%s must be callable", called).containsKey("workflow_call");
                continue;
            }
            assertThat(spec.get("runs-on")).as("runs-on of job %s", job.getKey()).isNotNull();
            for (Map<String, Object> step : Yamls.list(spec, "steps")) {
                assertThat(step.containsKey("uses") ^ step.containsKey("run"))
                        .as("step %s of job %s has exactly one of uses/run", step, job.getKey())
                        .isTrue();
                if (step.containsKey("uses")) {
                    assertThat(step.get("uses").toString()).as("action version in %s", workflow).matches(PINNED);
                }
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void ciRunsTheFullSuiteAgainstAPostgresServiceWithNodeForTheNpmTools() throws Exception {
        Map<String, Object> verify = Yamls.map(load(WORKFLOWS.resolve("ci.yml")), "jobs.verify");
        Map<String, Object> postgres = Yamls.map(verify, "services.postgres");
        assertThat(postgres.get("image").toString()).startsWith("postgres:");
        assertThat((List<Object>) postgres.get("ports")).contains("5432:5432");
        assertThat(usesOf(verify)).anyMatch(u -> u.startsWith("actions/setup-java@"))
                .anyMatch(u -> u.startsWith("actions/setup-node@"));
        assertThat(Yamls.list(verify, "steps")).anySatisfy(s -> assertThat(s).containsEntry("uses", "actions/setup-java@v5")
                .satisfies(x -> assertThat(Yamls.string(x, "with.java-version")).isEqualTo(pomJava())));
        String commands = runsOf(verify);
        assertThat(commands).contains("bash .ci/run");
        // .ci/run ends with the README's full-suite command and installs the npm tools first.
        String ciRun = Files.readString(Path.of(".ci/run"));
        assertThat(ciRun).contains("./mvnw -B verify").contains("tools/actions");
        assertThat(ciRun.indexOf("tools/actions")).isLessThan(ciRun.indexOf("./mvnw -B verify"));
    }

    @Test
    void imagesWorkflowBuildsBothDockerfilesWithoutLatestTags() throws Exception {
        Map<String, Object> images = load(WORKFLOWS.resolve("images.yml"));
        Map<String, Object> job = Yamls.map(images, "jobs.image");
        List<Map<String, Object>> matrix = Yamls.list(job, "strategy.matrix.include");
        assertThat(matrix).extracting(m -> m.get("dockerfile")).containsExactlyInAnyOrder("docker/Dockerfile", "docker/Dockerfile.cuda");
        matrix.forEach(m -> assertThat(Path.of(m.get("dockerfile").toString())).exists());
        Map<String, Object> meta = step(job, "docker/metadata-action@");
        assertThat(Yamls.string(meta, "with.flavor")).contains("latest=false");
        // The chart's default tags are <appVersion> and <appVersion>-cuda.
        assertThat(Yamls.string(meta, "with.tags")).contains("type=semver,pattern={{version}}");
        assertThat(matrix).filteredOn(m -> m.get("dockerfile").toString().endsWith(".cuda"))
                .extracting(m -> m.get("suffix")).containsExactly("-cuda");
        Map<String, Object> build = step(job, "docker/build-push-action@");
        assertThat(Yamls.string(build, "with.file")).isEqualTo("${{ matrix.dockerfile }}");
        assertThat(Yamls.string(build, "with.context")).isEqualTo(".");
    }

    @Test
    void chartWorkflowLintsAndValidatesEveryValuesFile() throws Exception {
        Map<String, Object> chart = load(WORKFLOWS.resolve("chart.yml"));
        String chartDir = Yamls.string(chart, "env.CHART");
        assertThat(Path.of(chartDir, "Chart.yaml")).exists();
        assertThat(Path.of(chartDir, "ci")).isDirectoryContaining("glob:**/*-values.yaml");
        String commands = runsOf(Yamls.map(chart, "jobs.lint-and-validate"));
        assertThat(commands).contains("helm lint --strict").contains("helm template").contains("kubeconform -strict")
                .contains("$CHART\"/ci/*-values.yaml");
    }

    @Test
    @SuppressWarnings("unchecked")
    void releaseRunsOnVersionTagsAndChecksTheVersionsAgree() throws Exception {
        Map<String, Object> release = load(WORKFLOWS.resolve("release.yml"));
        assertThat((List<Object>) Yamls.at(triggers(release), "push.tags")).containsExactly("v[0-9]+.[0-9]+.[0-9]+");
        assertThat(triggers(release)).doesNotContainKeys("pull_request");
        String check = runsOf(Yamls.map(release, "jobs.check-version"));
        assertThat(check).contains("project.version").contains("helm/vlm3d-server/Chart.yaml");
        assertThat(Yamls.string(release, "jobs.images.uses")).isEqualTo("./.github/workflows/images.yml");
        assertThat(runsOf(Yamls.map(release, "jobs.chart"))).contains("helm package").contains("helm push");
    }

    private static String pomJava() {
        try {
            return MavenProject.read().javaVersion();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** SnakeYAML reads the bare key {@code on} as YAML 1.1 boolean true; GitHub reads it as the string "on". */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> triggers(Map<String, Object> workflow) {
        Object on = workflow.containsKey("on") ? workflow.get("on") : ((Map<Object, Object>) (Map<?, ?>) workflow).get(Boolean.TRUE);
        assertThat(on).as("workflow triggers").isInstanceOf(Map.class);
        return (Map<String, Object>) on;
    }

    private static Map<String, Object> load(Path file) throws IOException {
        return new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
    }

    private static List<String> usesOf(Map<String, Object> job) {
        return Yamls.list(job, "steps").stream().filter(s -> s.containsKey("uses")).map(s -> s.get("uses").toString()).toList();
    }

    private static String runsOf(Map<String, Object> job) {
        return String.join("\n", Yamls.list(job, "steps").stream()
                .filter(s -> s.containsKey("run")).map(s -> s.get("run").toString()).toList());
    }

    private static Map<String, Object> step(Map<String, Object> job, String usesPrefix) {
        return Yamls.list(job, "steps").stream()
                .filter(s -> s.containsKey("uses") && s.get("uses").toString().startsWith(usesPrefix))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no step uses " + usesPrefix));
    }

    private record ValidatorRun(int exitCode, String output) {}

    private static void assumeValidatorInstalled() {
        boolean installed = Files.isRegularFile(VALIDATOR) || Files.isSymbolicLink(VALIDATOR);
        String hint = "action-validator not installed: run `npm ci` in tools/actions (bash .ci/run does)";
        // A developer without the npm tool may skip; CI (which installs it) must never silently skip.
        if (System.getenv("CI") != null) {
            assertThat(installed).as(hint).isTrue();
        }
        assumeTrue(installed, hint);
    }

    private static ValidatorRun validate(Path workflow) throws Exception {
        List<String> command = new ArrayList<>(List.of("node", VALIDATOR.toString(), workflow.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("action-validator finished").isTrue();
        return new ValidatorRun(process.exitValue(), output);
    }
}
