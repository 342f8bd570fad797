package dev.vlm3d.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vlm3d.testsupport.TestDatabase;
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
 * tools/actions by .ci/run), and structurally sound: actions pinned by commit, steps that run something, every file
 * or workflow they reference present in the repository; tests before any image is built or pushed (CI and Release),
 * images built without pushing on pull requests, the tests run against the PostgreSQL the workflow declares, every
 * downloaded tool checked against a pinned SHA-256, and Dependabot watching every kind of pinned dependency.
 */
class WorkflowsTest {

    private static final Path WORKFLOWS = Path.of(".github", "workflows");
    private static final Path INSTALL_TOOLS = Path.of(".github", "scripts", "install-tools.sh");
    private static final Path VALIDATOR = Path.of("tools", "actions", "node_modules", ".bin", "action-validator");
    /** A third-party action at a full commit SHA (a tag can be moved; a commit cannot). */
    private static final Pattern PINNED = Pattern.compile("^[\\w.-]+/[\\w./-]+@[0-9a-f]{40}$");
    /** The line of such a step, with the release the commit is in as a comment (what Dependabot updates too). */
    private static final Pattern PINNED_LINE =
            Pattern.compile("uses: ([\\w.-]+/[\\w./-]+)@([0-9a-f]{40}) # v\\d+\\.\\d+\\.\\d+$");

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    static Stream<Path> workflows() throws IOException {
        try (Stream<Path> files = Files.list(WORKFLOWS)) {
            List<Path> list = files.filter(
                            f -> f.toString().endsWith(".yml") || f.toString().endsWith(".yaml"))
                    .sorted()
                    .toList();
            assertThat(list)
                    .extracting(p -> p.getFileName().toString())
                    .contains("ci.yml", "test.yml", "images.yml", "chart.yml", "release.yml");
            return list.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("workflows")
    void actionValidatorAcceptsTheWorkflow(Path workflow) throws Exception {
        assumeValidatorInstalled();
        ValidatorRun run = validate(workflow);
        assertThat(run.exitCode())
                .as("action-validator %s:%n%s", workflow, run.output())
                .isZero();
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
                assertThat(triggers(load(called)))
                        .as("%s must be callable", called)
                        .containsKey("workflow_call");
                continue;
            }
            assertThat(spec.get("runs-on"))
                    .as("runs-on of job %s", job.getKey())
                    .isNotNull();
            for (Map<String, Object> step : Yamls.list(spec, "steps")) {
                assertThat(step.containsKey("uses") ^ step.containsKey("run"))
                        .as("step %s of job %s has exactly one of uses/run", step, job.getKey())
                        .isTrue();
                if (step.containsKey("uses")) {
                    assertThat(step.get("uses").toString())
                            .as("action pinned by commit in %s", workflow)
                            .matches(PINNED);
                }
            }
        }
        // every third-party action line carries the release of its commit, so a reader (and Dependabot) knows it
        for (String line : Files.readAllLines(workflow)) {
            String trimmed = line.trim().replaceFirst("^- ", "");
            if (trimmed.startsWith("uses:") && !trimmed.startsWith("uses: ./")) {
                assertThat(trimmed).as("%s in %s", trimmed, workflow).matches(PINNED_LINE);
            }
        }
    }

    /** Guards the pin check: a tag, a short SHA or a missing version comment is refused. */
    @Test
    void pinPatternsRefuseTagsShortShasAndMissingVersions() {
        assertThat("actions/checkout@v5").doesNotMatch(PINNED);
        assertThat("actions/checkout@fbc6f39").doesNotMatch(PINNED);
        assertThat("actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09").matches(PINNED);
        assertThat("uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09")
                .doesNotMatch(PINNED_LINE);
        assertThat("uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09 # v5.1.0")
                .matches(PINNED_LINE);
    }

    @Test
    @SuppressWarnings("unchecked")
    void testsRunTheFullSuiteAgainstTheDeclaredPostgresWithNodeForTheNpmTools() throws Exception {
        Map<String, Object> tests = load(WORKFLOWS.resolve("test.yml"));
        assertThat(triggers(tests)).containsOnlyKeys("workflow_call");
        Map<String, Object> verify = Yamls.map(tests, "jobs.verify");
        Map<String, Object> postgres = Yamls.map(verify, "services.postgres");
        Matcher image = Pattern.compile("^postgres:(\\d+)\\.\\d+$")
                .matcher(postgres.get("image").toString());
        assertThat(image.matches())
                .as("postgres image %s pins a minor release", postgres.get("image"))
                .isTrue();
        assertThat((List<Object>) postgres.get("ports")).contains("5432:5432");
        // the service creates the very database the tests connect to, with the user they connect as
        assertThat(Yamls.string(postgres, "env.POSTGRES_DB")).isEqualTo(TestDatabase.LOCAL_DATABASE);
        assertThat(Yamls.string(postgres, "env.POSTGRES_USER")).isEqualTo("postgres");
        // and the tests refuse any other database: no Testcontainers fallback, the declared major version
        assertThat(Yamls.string(verify, "env." + TestDatabase.MODE_ENV)).isEqualTo("local");
        assertThat(Yamls.string(verify, "env." + TestDatabase.REQUIRED_MAJOR_ENV))
                .isEqualTo(image.group(1));
        assertThat(TestDatabase.requirementProblem("local", true, Integer.parseInt(image.group(1)) - 1, image.group(1)))
                .as("a server of another major version fails the run")
                .isNotNull();

        assertThat(usesOf(verify))
                .anyMatch(u -> u.startsWith("actions/setup-java@"))
                .anyMatch(u -> u.startsWith("actions/setup-node@"));
        assertThat(Yamls.list(verify, "steps"))
                .filteredOn(s -> s.containsKey("uses"))
                .anySatisfy(s -> {
                    assertThat(s.get("uses").toString()).startsWith("actions/setup-java@");
                    assertThat(Yamls.string(s, "with.java-version")).isEqualTo(pomJava());
                });
        String commands = runsOf(verify);
        assertThat(commands).contains("bash .ci/run");
        // .ci/run ends with the README's full-suite command and installs the npm tools first.
        String ciRun = Files.readString(Path.of(".ci/run"));
        assertThat(ciRun).contains("./mvnw -B verify").contains("tools/actions");
        assertThat(ciRun.indexOf("tools/actions")).isLessThan(ciRun.indexOf("./mvnw -B verify"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void ciBuildsImagesOnlyAfterTheTestsAndPushesThemOnlyFromMain() throws Exception {
        Map<String, Object> ci = load(WORKFLOWS.resolve("ci.yml"));
        assertThat(triggers(ci)).containsKeys("push", "pull_request");
        assertThat(Yamls.string(ci, "jobs.verify.uses")).isEqualTo("./.github/workflows/test.yml");
        Map<String, Object> images = Yamls.map(ci, "jobs.images");
        assertThat(images.get("uses")).isEqualTo("./.github/workflows/images.yml");
        assertThat(needs(images)).contains("verify");
        // built on every pull request and push; pushed only by a push to main
        String push = Yamls.string(images, "with.push");
        assertThat(push)
                .contains("github.event_name == 'push'")
                .contains("github.ref == 'refs/heads/main'")
                .doesNotContain("||")
                .doesNotContain("pull_request");
        assertThat(images).doesNotContainKey("if");

        // images.yml has no trigger of its own (nothing is published without the caller's tests) and pushes,
        // and logs in to the registry, only when its caller says so
        Map<String, Object> imagesWorkflow = load(WORKFLOWS.resolve("images.yml"));
        assertThat(triggers(imagesWorkflow)).containsOnlyKeys("workflow_call");
        assertThat(Yamls.string(triggers(imagesWorkflow), "workflow_call.inputs.push.type"))
                .isEqualTo("boolean");
        Map<String, Object> job = Yamls.map(imagesWorkflow, "jobs.image");
        assertThat(Yamls.string(step(job, "docker/build-push-action@"), "with.push"))
                .isEqualTo("${{ inputs.push }}");
        assertThat(step(job, "docker/login-action@")).containsEntry("if", "inputs.push");
        // every workflow that calls images.yml runs the tests first
        try (Stream<Path> files = Files.list(WORKFLOWS)) {
            for (Path workflow :
                    files.filter(f -> f.toString().endsWith(".yml")).toList()) {
                Map<String, Object> jobs = Yamls.map(load(workflow), "jobs");
                for (Map.Entry<String, Object> entry : jobs.entrySet()) {
                    Map<String, Object> spec = (Map<String, Object>) entry.getValue();
                    if ("./.github/workflows/images.yml".equals(spec.get("uses"))) {
                        assertThat(needs(spec).stream()
                                        .anyMatch(n ->
                                                "./.github/workflows/test.yml".equals(Yamls.at(jobs, n + ".uses"))))
                                .as("job %s of %s needs a job that runs test.yml", entry.getKey(), workflow)
                                .isTrue();
                    }
                }
            }
        }
    }

    @Test
    void imagesWorkflowBuildsBothDockerfilesWithoutLatestTags() throws Exception {
        Map<String, Object> images = load(WORKFLOWS.resolve("images.yml"));
        Map<String, Object> job = Yamls.map(images, "jobs.image");
        List<Map<String, Object>> matrix = Yamls.list(job, "strategy.matrix.include");
        assertThat(matrix)
                .extracting(m -> m.get("dockerfile"))
                .containsExactlyInAnyOrder("docker/Dockerfile", "docker/Dockerfile.cuda");
        matrix.forEach(m -> assertThat(Path.of(m.get("dockerfile").toString())).exists());
        Map<String, Object> meta = step(job, "docker/metadata-action@");
        assertThat(Yamls.string(meta, "with.flavor")).contains("latest=false");
        // The chart's default tags are <appVersion> and <appVersion>-cuda.
        assertThat(Yamls.string(meta, "with.tags")).contains("type=semver,pattern={{version}}");
        assertThat(matrix)
                .filteredOn(m -> m.get("dockerfile").toString().endsWith(".cuda"))
                .extracting(m -> m.get("suffix"))
                .containsExactly("-cuda");
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
        assertThat(commands)
                .contains("helm lint --strict")
                .contains("helm template")
                .contains("kubeconform -strict")
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
        assertThat(runsOf(Yamls.map(release, "jobs.chart")))
                .contains("helm package")
                .contains("helm push");
        // the full suite runs on the release commit, and nothing is published before it passed
        assertThat(Yamls.string(release, "jobs.test.uses")).isEqualTo("./.github/workflows/test.yml");
        assertThat(needs(Yamls.map(release, "jobs.images"))).contains("test", "check-version");
        assertThat(Yamls.at(release, "jobs.images.with.push")).isEqualTo(true);
        assertThat(needs(Yamls.map(release, "jobs.chart"))).contains("images");
    }

    @ParameterizedTest
    @MethodSource("workflows")
    void downloadsGoThroughTheChecksummedInstaller(Path workflow) throws Exception {
        Map<String, Object> root = load(workflow);
        for (Map.Entry<String, Object> job : Yamls.map(root, "jobs").entrySet()) {
            Map<?, ?> spec = (Map<?, ?>) job.getValue();
            if (spec.containsKey("uses")) continue;
            assertThat(runsOf(Yamls.map(root, "jobs." + job.getKey())))
                    .as("run steps of %s in %s fetch nothing themselves", job.getKey(), workflow)
                    .doesNotContainPattern("\\b(curl|wget)\\b");
        }
    }

    @Test
    void chartWorkflowInstallsHelmAndKubeconformCheckedAgainstPinnedChecksums() throws Exception {
        String commands = runsOf(Yamls.map(load(WORKFLOWS.resolve("chart.yml")), "jobs.lint-and-validate"));
        assertThat(commands).contains("bash " + INSTALL_TOOLS.toString().replace('\\', '/') + " helm kubeconform");
        String script = Files.readString(INSTALL_TOOLS);
        for (String tool : List.of("HELM", "KUBECONFORM")) {
            Matcher pin = Pattern.compile("(?m)^" + tool + "_SHA256=(\\S+)").matcher(script);
            assertThat(pin.find()).as("%s_SHA256 in %s", tool, INSTALL_TOOLS).isTrue();
            assertThat(pin.group(1)).matches(SHA256);
            assertThat(script).contains("\"$" + tool + "_SHA256\"");
        }
        // every download in the script goes through fetch, which checks the checksum before anything is unpacked
        assertThat(script.lines().filter(l -> l.contains("curl ")).toList())
                .singleElement()
                .satisfies(l -> assertThat(l.trim()).startsWith("curl -fsSL"));
        assertThat(script).contains("sha256sum --check --strict");
    }

    /** Runs the installer's fetch on local files: a wrong checksum fails, the right one passes. */
    @Test
    void theInstallersFetchRefusesAFileWhoseChecksumDiffers(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("tool.tar.gz"), "not the published archive");
        String actual = java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        String wrong = "0".repeat(64);
        assertThat(runFetch(file, actual, dir.resolve("ok"))).isZero();
        assertThat(dir.resolve("ok")).exists();
        assertThat(runFetch(file, wrong, dir.resolve("bad"))).isNotZero();
    }

    private static int runFetch(Path source, String sha256, Path target) throws Exception {
        String script = Files.readString(INSTALL_TOOLS);
        String fetch =
                script.substring(script.indexOf("fetch() {"), script.indexOf("\n}\n", script.indexOf("fetch() {")) + 2);
        Process process = new ProcessBuilder(
                        "bash",
                        "-c",
                        "set -euo pipefail\n" + fetch + "\nfetch \"$1\" \"$2\" \"$3\"",
                        "fetch-test",
                        source.toUri().toString(),
                        sha256,
                        target.toString())
                .redirectErrorStream(true)
                .start();
        process.getInputStream().readAllBytes();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return process.exitValue();
    }

    @Test
    void imagesGetTheLibtorchChecksumAndTheCudaBuildRefusesToRunWithoutIt() throws Exception {
        Map<String, Object> job = Yamls.map(load(WORKFLOWS.resolve("images.yml")), "jobs.image");
        String buildArgs = Yamls.string(step(job, "docker/build-push-action@"), "with.build-args");
        assertThat(buildArgs).contains("LIBTORCH_SHA256=").contains("vars.LIBTORCH_CU128_SHA256");
        Dockerfile.Stage libtorch =
                Dockerfile.read(Path.of("docker", "Dockerfile.cuda")).stage("libtorch");
        assertThat(libtorch.all("ARG"))
                .as("the checksum is a build argument, without a default")
                .contains("LIBTORCH_SHA256");
        assertThat(libtorch.args().get("LIBTORCH_SHA256"))
                .as("no default checksum")
                .isNullOrEmpty();
        String runs = String.join("\n", libtorch.all("RUN"));
        assertThat(runs).contains("sha256sum --check --strict").doesNotContain("if [ -n \"${LIBTORCH_SHA256}\" ]");
        assertThat(runs.indexOf("test -n \"${LIBTORCH_SHA256}\""))
                .as("the checksum is required before the download")
                .isNotNegative()
                .isLessThan(runs.indexOf("curl"));
        // the guard, run as the build would run it: no checksum, no build
        String guard = libtorch.all("RUN").stream()
                .filter(r -> r.contains("test -n \"${LIBTORCH_SHA256}\""))
                .findFirst()
                .orElseThrow();
        assertThat(runShell(guard, "")).isNotZero();
        assertThat(runShell(guard, "0".repeat(64))).isZero();
    }

    private static int runShell(String command, String libtorchSha256) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true);
        builder.environment().put("LIBTORCH_SHA256", libtorchSha256);
        builder.environment().put("LIBTORCH_URL", "https://download.pytorch.org/libtorch/cu128/x.zip");
        Process process = builder.start();
        process.getInputStream().readAllBytes();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return process.exitValue();
    }

    @Test
    @SuppressWarnings("unchecked")
    void dependabotWatchesMavenNpmDockerAndActions() throws Exception {
        Map<String, Object> config = load(Path.of(".github", "dependabot.yml"));
        assertThat(config.get("version")).isEqualTo(2);
        List<Map<String, Object>> updates = Yamls.list(config, "updates");
        List<String> watched = updates.stream()
                .map(u -> u.get("package-ecosystem") + " " + u.get("directory"))
                .toList();
        assertThat(watched)
                .contains("maven /", "npm /tools", "npm /tools/actions", "docker /docker", "github-actions /");
        for (Map<String, Object> update : updates) {
            Path dir = Path.of(
                    update.get("directory").toString().substring(1).isEmpty()
                            ? "."
                            : update.get("directory").toString().substring(1));
            String manifest = switch (update.get("package-ecosystem").toString()) {
                case "maven" -> "pom.xml";
                case "npm" -> "package-lock.json";
                case "docker" -> "Dockerfile";
                case "github-actions" -> ".github/workflows";
                default -> throw new AssertionError("unexpected ecosystem " + update);
            };
            assertThat(dir.resolve(manifest)).as("what %s watches", watched).exists();
            assertThat(Yamls.string(update, "schedule.interval")).isNotBlank();
        }
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
        Object on = workflow.containsKey("on")
                ? workflow.get("on")
                : ((Map<Object, Object>) (Map<?, ?>) workflow).get(Boolean.TRUE);
        assertThat(on).as("workflow triggers").isInstanceOf(Map.class);
        return (Map<String, Object>) on;
    }

    private static Map<String, Object> load(Path file) throws IOException {
        return new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
    }

    private static List<String> usesOf(Map<String, Object> job) {
        return Yamls.list(job, "steps").stream()
                .filter(s -> s.containsKey("uses"))
                .map(s -> s.get("uses").toString())
                .toList();
    }

    private static String runsOf(Map<String, Object> job) {
        return String.join(
                "\n",
                Yamls.list(job, "steps").stream()
                        .filter(s -> s.containsKey("run"))
                        .map(s -> s.get("run").toString())
                        .toList());
    }

    @SuppressWarnings("unchecked")
    private static List<String> needs(Map<String, Object> job) {
        Object needs = job.get("needs");
        if (needs == null) return List.of();
        return needs instanceof List<?> list ? (List<String>) list : List.of(needs.toString());
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
        assertThat(process.waitFor(60, TimeUnit.SECONDS))
                .as("action-validator finished")
                .isTrue();
        return new ValidatorRun(process.exitValue(), output);
    }
}
