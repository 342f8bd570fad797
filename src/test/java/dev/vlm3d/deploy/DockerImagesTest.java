package dev.vlm3d.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The Dockerfiles (no docker engine on build machines, so they are read, not built) must build what Maven builds and
 * run it the way the chart expects: same jar name as the pom's finalName, the pom's Java major version, the Maven
 * wrapper, a non-root user, a health check, offline DJL, and for CUDA the libtorch that matches DJL's cu128 JNI.
 */
class DockerImagesTest {

    private static final Path DOCKER = Path.of("docker");

    private static MavenProject pom;
    private static String pytorchVersion;

    @BeforeAll
    static void readPom() throws Exception {
        pom = MavenProject.read();
        pytorchVersion = pom.pytorchVersion();
        assertThat(pom.finalName()).isNotBlank();
        assertThat(pom.javaVersion()).isNotBlank();
        assertThat(pytorchVersion).isNotBlank();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile", "Dockerfile.cuda"})
    void buildStageRunsTheMavenWrapperOnThePomsJavaVersion(String file) throws Exception {
        Dockerfile dockerfile = Dockerfile.read(DOCKER.resolve(file));
        assertThat(dockerfile.globalArgs()).containsEntry("JAVA_VERSION", pom.javaVersion());

        Dockerfile.Stage build = dockerfile.stage("build");
        assertThat(build.from()).isEqualTo("eclipse-temurin:" + pom.javaVersion() + "-jdk-noble");
        String buildCommands = String.join("\n", build.all("RUN"));
        assertThat(buildCommands).contains("./mvnw -B").contains(" package").doesNotContainPattern("(^|\\s)mvn\\s");
        assertThat(buildCommands).contains(pom.jarPath());

        // Every Java the image runs on has the pom's major version.
        for (Dockerfile.Stage stage : dockerfile.stages()) {
            if (stage.from().startsWith("eclipse-temurin:")) {
                assertThat(stage.from()).startsWith("eclipse-temurin:" + pom.javaVersion() + "-");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile", "Dockerfile.cuda"})
    void runtimeStageRunsThePomsJarAsNonRootWithAHealthCheck(String file) throws Exception {
        Dockerfile dockerfile = Dockerfile.read(DOCKER.resolve(file));
        Dockerfile.Stage runtime = dockerfile.finalStage();
        String jar = "/app/" + pom.finalName() + ".jar";

        assertThat(runtime.all("COPY"))
                .anySatisfy(copy -> assertThat(copy).startsWith("--from=build").endsWith(jar));
        // The build stage puts the jar where the COPY takes it from.
        String copied = runtime.all("COPY").stream()
                .filter(c -> c.startsWith("--from=build"))
                .findFirst()
                .orElseThrow()
                .split("\\s+")[1];
        assertThat(String.join("\n", dockerfile.stage("build").all("RUN")))
                .contains("cp " + pom.jarPath() + " " + copied);
        assertThat(runtime.last("ENTRYPOINT")).isEqualTo("[\"java\", \"-jar\", \"" + jar + "\"]");

        String user = runtime.last("USER");
        assertThat(user).isNotNull().doesNotStartWith("0").doesNotStartWith("root");
        assertThat(user).startsWith("10001");
        assertThat(runtime.last("EXPOSE")).isEqualTo("8080");
        assertThat(runtime.last("HEALTHCHECK"))
                .contains("--start-period=")
                .contains("http://localhost:8080/actuator/health/liveness");

        Map<String, String> env = runtime.env();
        assertThat(env)
                .containsEntry("DJL_OFFLINE", "true")
                .containsEntry("DJL_CACHE_DIR", "/var/cache/djl")
                // The HEALTHCHECK path exists only with the probe groups on (Spring enables them by itself only on
                // Kubernetes).
                .containsEntry("MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED", "true");
        // The runtime user owns the writable mount points.
        assertThat(String.join("\n", runtime.all("RUN")))
                .contains("chown vlm3d:vlm3d /var/lib/vlm3d/artifacts /var/cache/djl")
                .contains("--uid 10001");
    }

    @Test
    void cudaImageUsesTheLibtorchThatMatchesDjlsCu128Jni() throws Exception {
        Dockerfile cuda = Dockerfile.read(DOCKER.resolve("Dockerfile.cuda"));
        Dockerfile.Stage runtime = cuda.finalStage();
        Map<String, String> env = runtime.env();
        Map<String, String> runtimeArgs = runtime.args();

        assertThat(Dockerfile.substitute(env.get("PYTORCH_VERSION"), runtimeArgs))
                .isEqualTo(pytorchVersion);
        assertThat(Dockerfile.substitute(env.get("PYTORCH_FLAVOR"), runtimeArgs))
                .isEqualTo("cu128");
        assertThat(env).containsEntry("PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib");
        assertThat(runtime.all("COPY")).contains("--from=libtorch /opt/libtorch /opt/libtorch");

        // CUDA runtime 12.8 for the cu128 build.
        Matcher cudaImage = Pattern.compile("nvidia/cuda:(\\d+)\\.(\\d+)\\.\\d+-runtime-")
                .matcher(cuda.globalArgs().get("CUDA_IMAGE"));
        assertThat(cudaImage.find())
                .as("CUDA_IMAGE %s", cuda.globalArgs().get("CUDA_IMAGE"))
                .isTrue();
        assertThat("cu" + cudaImage.group(1) + cudaImage.group(2)).isEqualTo("cu128");

        // The official zip of exactly that version and flavor, cxx11 ABI (the only ABI of DJL's 2.7.1 JNI).
        Dockerfile.Stage libtorch = cuda.stage("libtorch");
        Map<String, String> args = libtorch.args();
        String url = Dockerfile.substitute(Dockerfile.substitute(args.get("LIBTORCH_URL"), args), args);
        assertThat(url)
                .isEqualTo("https://download.pytorch.org/libtorch/cu128/libtorch-cxx11-abi-shared-with-deps-"
                        + pytorchVersion + "%2Bcu128.zip");
        assertThat(String.join("\n", libtorch.all("RUN"))).contains("test -f /opt/libtorch/lib/libtorch_cuda.so");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile", "Dockerfile.cuda"})
    void imageEnvironmentBindsToTheServiceProperties(String file) throws Exception {
        Map<String, String> env =
                Dockerfile.read(DOCKER.resolve(file)).finalStage().env();
        Binder binder = new Binder(ConfigurationPropertySources.from(new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.copyOf(env))));
        assertThat(binder.bind("vlm3d.models.vlm-dir", String.class).get()).isEqualTo("/models/Qwen2.5-VL-7B-Instruct");
        assertThat(binder.bind("vlm3d.models.diffusion-dir", String.class).get())
                .isEqualTo("/models/mvdream-sd2.1-diffusers");
        assertThat(binder.bind("vlm3d.artifacts.dir", String.class).get()).isEqualTo("/var/lib/vlm3d/artifacts");
        assertThat(binder.bind("vlm3d.worker.devices", String.class).get()).isIn("cpu", "gpu0");
    }

    @Test
    void buildContextKeepsWhatTheBuildNeedsAndDropsBuildOutput() throws Exception {
        List<String> ignored = Files.readAllLines(Path.of(".dockerignore")).stream()
                .map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .toList();
        assertThat(ignored).contains("**/target", ".git");
        for (String needed : List.of("mvnw", ".mvn", "pom.xml", "src", "db")) {
            assertThat(ignored)
                    .noneMatch(pattern -> pattern.replaceAll("^/", "").equals(needed));
        }
        assertThat(Path.of("mvnw")).isExecutable();
        assertThat(Path.of(".mvn/wrapper/maven-wrapper.properties")).exists();
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeStackRunsTheServiceAgainstItsPostgres() throws Exception {
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        Map<String, Object> compose = yaml.load(Files.readString(DOCKER.resolve("compose.yaml")));
        Map<String, Object> services = Yamls.map(compose, "services");
        assertThat(services).containsKeys("postgres", "vlm3d");

        Map<String, Object> service = (Map<String, Object>) services.get("vlm3d");
        Path context = DOCKER.resolve(Yamls.string(service, "build.context")).normalize();
        assertThat(context.resolve(Yamls.string(service, "build.dockerfile")).normalize())
                .isEqualTo(DOCKER.resolve("Dockerfile"));
        assertThat(Yamls.map(service, "depends_on.postgres")).containsEntry("condition", "service_healthy");
        assertThat(Yamls.at(services.get("postgres"), "healthcheck.test")).isNotNull();

        Map<String, Object> env = Yamls.map(service, "environment");
        assertThat(env.get("SPRING_DATASOURCE_URL").toString()).startsWith("jdbc:postgresql://postgres:5432/");
        assertThat(env.get("SPRING_DATASOURCE_URL").toString())
                .endsWith("/" + Yamls.string(services.get("postgres"), "environment.POSTGRES_DB"));
        assertThat(env)
                .containsKeys("SPRING_DATASOURCE_USERNAME", "SPRING_DATASOURCE_PASSWORD", "VLM3D_SECURITY_ADMINKEY");
        assertThat((List<String>) service.get("volumes"))
                .anyMatch(v -> v.endsWith(":/models:ro"))
                .anyMatch(v -> v.endsWith(":/var/lib/vlm3d/artifacts"))
                .anyMatch(v -> v.endsWith(":/var/cache/djl"));
        assertThat(service.get("read_only")).isEqualTo(true);

        Map<String, Object> gpu = yaml.load(Files.readString(DOCKER.resolve("compose.gpu.yaml")));
        Map<String, Object> gpuService = Yamls.map(gpu, "services.vlm3d");
        assertThat(context.resolve(Yamls.string(gpuService, "build.dockerfile")).normalize())
                .isEqualTo(DOCKER.resolve("Dockerfile.cuda"));
        assertThat(Yamls.list(gpuService, "deploy.resources.reservations.devices")
                        .get(0))
                .containsEntry("driver", "nvidia");
    }
}
