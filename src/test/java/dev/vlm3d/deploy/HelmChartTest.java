package dev.vlm3d.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Renders helm/vlm3d-server with its default values, the production-like GPU values (ci/gpu-values.yaml) and the
 * CPU trial values (ci/cpu-values.yaml), lints it, and checks the objects a GPU cluster depends on.
 */
class HelmChartTest {

    private static final Path GPU_VALUES = RenderedChart.CHART.resolve("ci/gpu-values.yaml");
    private static final Path CPU_VALUES = RenderedChart.CHART.resolve("ci/cpu-values.yaml");
    private static final String PREFIX = RenderedChart.RELEASE + "-vlm3d-server";
    private static final String WEB = PREFIX + "-web";
    private static final String WORKER = PREFIX + "-worker";
    private static final String GPU = "nvidia.com/gpu";

    private static Map<String, Object> chartYaml;
    private static RenderedChart defaults;
    private static RenderedChart gpu;
    private static RenderedChart cpu;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void render() throws Exception {
        chartYaml = (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(Files.readString(RenderedChart.CHART.resolve("Chart.yaml")));
        // The admin key is the one value every install must give (the chart refuses to invent a credential).
        defaults = RenderedChart.render(null, c -> c.set("security.adminKey", "test-admin-key"));
        gpu = RenderedChart.render(GPU_VALUES);
        cpu = RenderedChart.render(CPU_VALUES);
    }

    @Test
    void lintsCleanInStrictMode() {
        LintResult lint = new Helm(RenderedChart.CHART).lint().strict().call();
        assertThat(lint.isFailed())
                .as("helm lint --strict: %s", lint.getMessages())
                .isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void renderedObjectsFitTheKubernetesApiTypes() throws Exception {
        for (RenderedChart chart : List.of(defaults, gpu, cpu)) {
            for (Map<String, Object> object : chart.objects()) {
                if (KubernetesSchema.typeOf(object).equals("monitoring.coreos.com/v1/ServiceMonitor")) {
                    continue; // a CRD: chart.yml validates it with kubeconform against the CRDs catalog
                }
                KubernetesSchema.validate(object);
            }
        }
    }

    /** Guards the check above: a misspelt field deep in a pod template is caught. */
    @Test
    @SuppressWarnings("unchecked")
    void kubernetesApiTypeCheckRejectsAMisspeltField() {
        Map<String, Object> deployment = RenderedChart.render(CPU_VALUES).get("Deployment", WORKER);
        Map<String, Object> container =
                Yamls.list(deployment, "spec.template.spec.containers").get(0);
        container.put("imagePullPolicyy", "Always");
        assertThatThrownBy(() -> KubernetesSchema.validate(deployment)).hasMessageContaining("imagePullPolicyy");
    }

    @Test
    void defaultsRenderOneWebAndOneGpuWorkerDeployment() {
        assertThat(names(defaults.ofKind("Deployment"))).containsExactlyInAnyOrder(WEB, WORKER);
        assertThat(Yamls.at(defaults.get("Deployment", WEB), "spec.replicas")).isEqualTo(2);
        assertThat(Yamls.at(defaults.get("Deployment", WORKER), "spec.replicas"))
                .isEqualTo(1);

        assertThat(Yamls.map(defaults.container(WORKER), "resources.limits")).containsEntry(GPU, 1);
        assertThat(Yamls.map(defaults.container(WEB), "resources.limits")).doesNotContainKey(GPU);
        assertThat(Yamls.map(defaults.container(WEB), "resources.requests")).doesNotContainKey(GPU);
        assertThat(Yamls.list(defaults.podSpec(WORKER), "tolerations"))
                .anySatisfy(t -> assertThat(t).containsEntry("key", GPU).containsEntry("effect", "NoSchedule"));

        assertThat(env(defaults, WEB)).containsEntry("VLM3D_WORKER_ENABLED", "false");
        assertThat(env(defaults, WORKER))
                .containsEntry("VLM3D_WORKER_ENABLED", "true")
                .containsEntry("VLM3D_WORKER_DEVICES", "gpu0")
                .containsEntry("VLM3D_WORKER_COUNT", "1");
    }

    @Test
    void imagesArePinnedToTheAppVersionAndNeverLatest() {
        String appVersion = chartYaml.get("appVersion").toString();
        for (RenderedChart chart : List.of(defaults, gpu, cpu)) {
            for (Map<String, Object> deployment : chart.ofKind("Deployment")) {
                for (Map<String, Object> container : Yamls.list(deployment, "spec.template.spec.containers")) {
                    String image = container.get("image").toString();
                    String tag = image.substring(image.lastIndexOf(':') + 1);
                    assertThat(image)
                            .as("image of %s", Yamls.at(deployment, "metadata.name"))
                            .contains(":");
                    assertThat(tag).doesNotContain("latest").startsWith(appVersion.replaceAll("\\+.*", ""));
                }
            }
        }
        assertThat(defaults.container(WORKER).get("image"))
                .isEqualTo("ghcr.io/vlm3d/vlm3d-server:" + appVersion + "-cuda");
        assertThat(cpu.container(WORKER).get("image")).isEqualTo("ghcr.io/vlm3d/vlm3d-server:" + appVersion);
        // Production values run the slim CPU image on web pods and the CUDA image on GPU workers.
        assertThat(gpu.container(WEB).get("image")).isEqualTo("registry.example.com/ml/vlm3d-server:0.1.0");
        assertThat(gpu.container(WORKER).get("image")).isEqualTo("registry.example.com/ml/vlm3d-server:0.1.0-cuda");
    }

    @Test
    void latestTagIsRejectedByTheValuesSchema() {
        assertThatThrownBy(() -> RenderedChart.render(CPU_VALUES, c -> c.set("image.tag", "latest")))
                .hasMessageContaining("/image/tag");
    }

    @Test
    void probesHitTheActuatorGroupsAndGiveWorkersTimeToLoadModels() {
        for (String deployment : List.of(WEB, WORKER)) {
            Map<String, Object> container = defaults.container(deployment);
            assertThat(Yamls.string(container, "startupProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
            assertThat(Yamls.string(container, "livenessProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
            assertThat(Yamls.string(container, "readinessProbe.httpGet.path")).isEqualTo("/actuator/health/readiness");
            for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                assertThat(Yamls.string(container, probe + ".httpGet.port")).isEqualTo("http");
            }
            assertThat(Yamls.list(container, "ports"))
                    .anySatisfy(p -> assertThat(p).containsEntry("name", "http").containsEntry("containerPort", 8080));
        }
        // Loading a 7B VLM and the diffusion UNet onto a GPU takes minutes: the startup window must cover that
        // before the liveness probe may kill the pod.
        Map<String, Object> worker = defaults.container(WORKER);
        assertThat(probeWindowSeconds(worker, "startupProbe")).isGreaterThanOrEqualTo(600);
        assertThat(probeWindowSeconds(worker, "livenessProbe")).isGreaterThanOrEqualTo(60);
    }

    @Test
    void workersHaveTimeToCheckpointOnShutdown() {
        int grace = (Integer) defaults.podSpec(WORKER).get("terminationGracePeriodSeconds");
        assertThat(grace).isGreaterThanOrEqualTo(300);
        Map<String, Object> worker = defaults.container(WORKER);
        assertThat(Yamls.list(worker, "lifecycle.preStop.exec.command")).isNotEmpty();
        assertThat(Yamls.list(defaults.container(WEB), "lifecycle.preStop.exec.command"))
                .isNotEmpty();
        // Spring stops the worker beans (checkpoint + lease release) within this; it must fit inside the grace period.
        String phase = env(defaults, WORKER).get("SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE");
        int phaseSeconds = Integer.parseInt(phase.replace("s", ""));
        assertThat(phaseSeconds).isGreaterThan(30).isLessThan(grace);
        // A rolling update must free the GPU before the replacement pod asks for it.
        assertThat(Yamls.at(defaults.get("Deployment", WORKER), "spec.strategy.rollingUpdate.maxSurge"))
                .isEqualTo(0);
    }

    @Test
    void secretReferencesResolveToTheChartSecret() {
        Map<String, Object> secret = defaults.get("Secret", PREFIX);
        Map<String, Object> data = Yamls.map(secret, "stringData");
        assertThat(data)
                .containsEntry("database-url", "jdbc:postgresql://postgresql:5432/vlm3d")
                .containsEntry("database-username", "vlm3d")
                .containsEntry("admin-key", "test-admin-key");
        for (String deployment : List.of(WEB, WORKER)) {
            Map<String, Map<String, Object>> refs = secretRefs(defaults, deployment);
            assertThat(refs.keySet())
                    .containsExactlyInAnyOrder(
                            "SPRING_DATASOURCE_URL",
                            "SPRING_DATASOURCE_USERNAME",
                            "SPRING_DATASOURCE_PASSWORD",
                            "VLM3D_SECURITY_ADMINKEY");
            refs.values().forEach(ref -> {
                assertThat(ref.get("name")).isEqualTo(PREFIX);
                assertThat(data).containsKey(ref.get("key").toString());
            });
        }
    }

    @Test
    void existingSecretReplacesTheChartSecret() {
        assertThat(gpu.ofKind("Secret")).isEmpty();
        for (String deployment : List.of(WEB, WORKER)) {
            assertThat(secretRefs(gpu, deployment).values())
                    .hasSize(4)
                    .allSatisfy(ref -> assertThat(ref.get("name")).isEqualTo("vlm3d-credentials"));
            assertThat(Yamls.map(gpu.get("Deployment", deployment), "spec.template.metadata.annotations"))
                    .containsKey("checksum/config")
                    .doesNotContainKey("checksum/secret");
        }
    }

    @Test
    void adminKeyIsRequiredWithoutAnExistingSecret() {
        assertThatThrownBy(() -> RenderedChart.render(null)).hasMessageContaining("security.adminKey is required");
    }

    @Test
    void gpuWorkerValuesPlaceWorkersOnGpuNodes() {
        Map<String, Object> pod = gpu.podSpec(WORKER);
        assertThat(Yamls.at(gpu.get("Deployment", WORKER), "spec.replicas")).isEqualTo(4);
        assertThat(Yamls.map(gpu.container(WORKER), "resources.limits")).containsEntry(GPU, 1);
        assertThat(Yamls.map(gpu.container(WORKER), "resources.limits")).containsEntry("memory", "64Gi");
        assertThat(Yamls.map(pod, "nodeSelector")).containsEntry("nvidia.com/gpu.present", "true");
        assertThat(pod.get("runtimeClassName")).isEqualTo("nvidia");
        assertThat(Yamls.list(pod, "tolerations")).extracting(t -> t.get("key")).contains(GPU, "dedicated");
        assertThat(Yamls.list(
                        pod, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"))
                .isNotEmpty();
        // Web pods stay off GPU nodes and GPU resources.
        assertThat(gpu.podSpec(WEB)).doesNotContainKeys("nodeSelector", "tolerations", "runtimeClassName");
        assertThat(Yamls.map(gpu.container(WEB), "resources.limits")).doesNotContainKey(GPU);
        assertThat(Yamls.list(pod, "imagePullSecrets"))
                .extracting(s -> s.get("name"))
                .containsExactly("registry-pull");
    }

    @Test
    void cpuValuesRenderWorkersWithoutGpu() {
        assertThat(Yamls.map(cpu.container(WORKER), "resources.limits")).doesNotContainKey(GPU);
        assertThat(cpu.podSpec(WORKER)).doesNotContainKey("tolerations");
        assertThat(env(cpu, WORKER)).containsEntry("VLM3D_WORKER_DEVICES", "cpu");

        assertThatThrownBy(() -> RenderedChart.render(CPU_VALUES, c -> c.set("worker.gpu.enabled", "true")))
                .hasMessageContaining("needs the CUDA image");
    }

    @Test
    void apiOnlyInstallHasNoWorkerObjects() {
        RenderedChart apiOnly = RenderedChart.render(CPU_VALUES, c -> c.set("worker.enabled", "false"));
        assertThat(names(apiOnly.ofKind("Deployment"))).containsExactly(WEB);
        assertThat(names(apiOnly.ofKind("Service"))).containsExactly(PREFIX);
        assertThat(names(apiOnly.ofKind("PodDisruptionBudget"))).containsExactly(WEB);
    }

    @Test
    void workerDevicesMayNotListMoreGpusThanThePodRequests(@TempDir Path dir) throws Exception {
        Path twoDevices = Files.writeString(dir.resolve("two-devices.yaml"), "worker:\n  devices: gpu0,gpu1\n");
        assertThatThrownBy(() -> RenderedChart.render(GPU_VALUES, c -> c.withValuesFile(twoDevices)))
                .hasMessageContaining("worker.devices lists 2 GPUs");
        Path twoGpus = Files.writeString(
                dir.resolve("two-gpus.yaml"), "worker:\n  devices: gpu0,gpu1\n  gpu:\n    count: 2\n");
        RenderedChart chart = RenderedChart.render(GPU_VALUES, c -> c.withValuesFile(twoGpus));
        assertThat(Yamls.map(chart.container(WORKER), "resources.limits")).containsEntry(GPU, 2);
        assertThat(env(chart, WORKER)).containsEntry("VLM3D_WORKER_DEVICES", "gpu0,gpu1");
    }

    @Test
    void modelsAreMountedReadOnlyOnWorkersOnly() {
        for (RenderedChart chart : List.of(defaults, gpu)) {
            assertThat(Yamls.list(chart.container(WORKER), "volumeMounts"))
                    .anySatisfy(m -> assertThat(m)
                            .containsEntry("name", "models")
                            .containsEntry("mountPath", "/models")
                            .containsEntry("readOnly", true));
            Map<String, Object> modelVolume = Yamls.list(chart.podSpec(WORKER), "volumes").stream()
                    .filter(v -> "models".equals(v.get("name")))
                    .findFirst()
                    .orElseThrow();
            // The source itself is read-only too, so a writable claim or export cannot be changed from the pod.
            Object source =
                    modelVolume.containsKey("nfs") ? modelVolume.get("nfs") : modelVolume.get("persistentVolumeClaim");
            assertThat(Yamls.at(source, "readOnly")).isEqualTo(true);
            assertThat(Yamls.list(chart.container(WEB), "volumeMounts")).noneMatch(m -> "models".equals(m.get("name")));
        }
        assertThatThrownBy(() -> RenderedChart.render(CPU_VALUES, c -> c.set("models.volume", "null")))
                .hasMessageContaining("models");
    }

    @Test
    void podsRunAsNonRootOnAReadOnlyRootFileSystem() {
        for (String deployment : List.of(WEB, WORKER)) {
            assertThat(Yamls.at(defaults.podSpec(deployment), "securityContext.runAsNonRoot"))
                    .isEqualTo(true);
            Map<String, Object> container = defaults.container(deployment);
            assertThat(Yamls.at(container, "securityContext.readOnlyRootFilesystem"))
                    .isEqualTo(true);
            assertThat(Yamls.at(container, "securityContext.allowPrivilegeEscalation"))
                    .isEqualTo(false);
            // What the JVM and DJL must write goes to emptyDirs.
            assertThat(Yamls.list(container, "volumeMounts"))
                    .extracting(m -> m.get("mountPath"))
                    .contains("/tmp", "/var/cache/djl");
        }
        assertThat(Yamls.map(defaults.get("ConfigMap", PREFIX), "data"))
                .containsEntry("DJL_CACHE_DIR", "/var/cache/djl")
                .containsEntry("DJL_OFFLINE", "true");
    }

    @Test
    void disruptionBudgetsAndServicesCoverBothComponents() {
        for (RenderedChart chart : List.of(defaults, gpu)) {
            assertThat(names(chart.ofKind("PodDisruptionBudget"))).containsExactlyInAnyOrder(WEB, WORKER);
            assertThat(Yamls.map(chart.get("PodDisruptionBudget", WORKER), "spec.selector.matchLabels"))
                    .isEqualTo(Yamls.map(chart.get("Deployment", WORKER), "spec.selector.matchLabels"));
            assertThat(Yamls.map(chart.get("PodDisruptionBudget", WEB), "spec.selector.matchLabels"))
                    .isEqualTo(Yamls.map(chart.get("Deployment", WEB), "spec.selector.matchLabels"));
            // The API Service must select web pods only: workers never take API traffic.
            assertThat(Yamls.map(chart.get("Service", PREFIX), "spec.selector"))
                    .isEqualTo(Yamls.map(chart.get("Deployment", WEB), "spec.selector.matchLabels"));
        }
        assertThat(defaults.ofKind("HorizontalPodAutoscaler")).isEmpty();
        assertThat(defaults.ofKind("Ingress")).isEmpty();
        assertThat(defaults.ofKind("ServiceMonitor")).isEmpty();
    }

    @Test
    void productionValuesAddAutoscalingIngressAndServiceMonitor() {
        Map<String, Object> hpa = gpu.get("HorizontalPodAutoscaler", WEB);
        assertThat(Yamls.at(hpa, "spec.scaleTargetRef.name")).isEqualTo(WEB);
        assertThat(Yamls.at(hpa, "spec.maxReplicas")).isEqualTo(8);
        // With an HPA the Deployment must not pin replicas, or every upgrade would reset the autoscaler's choice.
        assertThat(Yamls.map(gpu.get("Deployment", WEB), "spec")).doesNotContainKey("replicas");

        Map<String, Object> ingress = gpu.get("Ingress", PREFIX);
        Map<String, Object> backend = (Map<String, Object>)
                Yamls.list(Yamls.list(ingress, "spec.rules").get(0), "http.paths")
                        .get(0)
                        .get("backend");
        assertThat(Yamls.at(backend, "service.name")).isEqualTo(PREFIX);
        assertThat(Yamls.at(backend, "service.port.name")).isEqualTo("http");

        Map<String, Object> monitor = gpu.get("ServiceMonitor", PREFIX);
        Map<String, Object> endpoint = Yamls.list(monitor, "spec.endpoints").get(0);
        assertThat(endpoint).containsEntry("path", "/actuator/prometheus");
        // Only health is open without a key: Prometheus authenticates with the admin key from the same Secret.
        assertThat(Yamls.map(endpoint, "authorization.credentials"))
                .containsEntry("name", "vlm3d-credentials")
                .containsEntry("key", "admin-key");
        Map<String, Object> selector = Yamls.map(monitor, "spec.selector.matchLabels");
        // Both the web Service and the headless worker Service carry the selected labels.
        assertThat(gpu.ofKind("Service"))
                .hasSize(2)
                .allSatisfy(s -> assertThat(Yamls.map(s, "metadata.labels")).containsAllEntriesOf(selector));
    }

    @Test
    void managementPortCarriesProbesAndScrapingWithoutTheAdminKey() {
        RenderedChart chart = RenderedChart.render(GPU_VALUES, c -> c.set("managementPort.enabled", "true"));
        // the service reads management.server.port from the ConfigMap's environment
        assertThat(bind(binderOver(configMapData(chart)), "management.server.port"))
                .isEqualTo("8081");
        for (String deployment : List.of(WEB, WORKER)) {
            Map<String, Object> container = chart.container(deployment);
            assertThat(Yamls.list(container, "ports"))
                    .anySatisfy(p -> assertThat(p).containsEntry("name", "http").containsEntry("containerPort", 8080))
                    .anySatisfy(p ->
                            assertThat(p).containsEntry("name", "management").containsEntry("containerPort", 8081));
            for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                assertThat(Yamls.string(container, probe + ".httpGet.port"))
                        .as("%s of %s", probe, deployment)
                        .isEqualTo("management");
            }
            assertThat(Yamls.string(container, "readinessProbe.httpGet.path")).isEqualTo("/actuator/health/readiness");
        }
        assertThat(chart.ofKind("Service"))
                .hasSize(2)
                .allSatisfy(service -> assertThat(Yamls.list(service, "spec.ports"))
                        .anySatisfy(p -> assertThat(p)
                                .containsEntry("name", "management")
                                .containsEntry("targetPort", "management")));

        Map<String, Object> endpoint = Yamls.list(chart.get("ServiceMonitor", PREFIX), "spec.endpoints")
                .get(0);
        assertThat(endpoint)
                .containsEntry("port", "management")
                .containsEntry("path", "/actuator/prometheus")
                .doesNotContainKey("authorization");
        // the Ingresses never route to the management port
        for (Map<String, Object> ingress : chart.ofKind("Ingress")) {
            for (Map<String, Object> rule : Yamls.list(ingress, "spec.rules")) {
                assertThat(Yamls.list(rule, "http.paths"))
                        .allSatisfy(path -> assertThat(Yamls.at(path, "backend.service.port.name"))
                                .isEqualTo("http"));
            }
        }
        // without it (the default) nothing changes: probes on http, the ServiceMonitor with the admin key
        assertThat(configMapData(gpu)).doesNotContainKey("MANAGEMENT_SERVER_PORT");
        assertThat(Yamls.string(gpu.container(WEB), "livenessProbe.httpGet.port"))
                .isEqualTo("http");
        assertThat(Yamls.list(gpu.get("ServiceMonitor", PREFIX), "spec.endpoints")
                        .get(0))
                .containsEntry("port", "http")
                .containsKey("authorization");
        assertThatThrownBy(() -> RenderedChart.render(
                        GPU_VALUES, c -> c.set("managementPort.enabled", "true").set("managementPort.port", "8080")))
                .hasMessageContaining("managementPort");
    }

    @Test
    void eventStreamsGoThroughAnIngressWithoutProxyBuffering() {
        Map<String, Object> events = gpu.get("Ingress", PREFIX + "-events");
        Map<String, Object> annotations = Yamls.map(events, "metadata.annotations");
        assertThat(annotations)
                .containsEntry("nginx.ingress.kubernetes.io/proxy-buffering", "off")
                .containsEntry("nginx.ingress.kubernetes.io/use-regex", "true")
                // the install's own Ingress annotations apply to the event streams too
                .containsEntry("nginx.ingress.kubernetes.io/proxy-body-size", "1m");
        Map<String, Object> main = gpu.get("Ingress", PREFIX);
        assertThat(Yamls.at(events, "spec.tls")).isEqualTo(Yamls.at(main, "spec.tls"));
        assertThat(Yamls.at(events, "spec.ingressClassName")).isEqualTo(Yamls.at(main, "spec.ingressClassName"));
        Map<String, Object> path = Yamls.list(Yamls.list(events, "spec.rules").get(0), "http.paths")
                .get(0);
        assertThat(path).containsEntry("pathType", "ImplementationSpecific");
        assertThat(Yamls.at(path, "backend.service.name")).isEqualTo(PREFIX);
        assertThat(Yamls.at(path, "backend.service.port.name")).isEqualTo("http");
        // the path (a regular expression for ingress-nginx) takes the event streams and nothing else
        java.util.regex.Pattern regex =
                java.util.regex.Pattern.compile(path.get("path").toString());
        String job = "/jobs/3f2b6c1e-8d4a-4a4e-9a57-2d0c4f1b7e21";
        assertThat(regex.matcher(job + "/events").matches()).isTrue();
        assertThat(regex.matcher(job).matches()).isFalse();
        assertThat(regex.matcher(job + "/artifacts/model.glb").matches()).isFalse();
        assertThat(regex.matcher("/jobs").matches()).isFalse();

        assertThat(names(RenderedChart.render(GPU_VALUES, c -> c.set("ingress.events.enabled", "false"))
                        .ofKind("Ingress")))
                .containsExactly(PREFIX);
        assertThat(defaults.ofKind("Ingress")).isEmpty();
    }

    @Test
    void filesystemArtifactStoreIsSharedByWebAndWorkers() {
        for (String deployment : List.of(WEB, WORKER)) {
            assertThat(Yamls.list(gpu.container(deployment), "volumeMounts"))
                    .anySatisfy(m -> assertThat(m)
                            .containsEntry("name", "artifacts")
                            .containsEntry("mountPath", "/var/lib/vlm3d/artifacts"));
        }
        assertThat(Yamls.map(gpu.get("ConfigMap", PREFIX), "data"))
                .containsEntry("VLM3D_ARTIFACTS_STORE", "filesystem");
        assertThatThrownBy(() -> RenderedChart.render(CPU_VALUES, c -> c.set("artifacts.store", "filesystem")))
                .hasMessageContaining("artifacts.volume");
    }

    /** store=s3: the settings go to the ConfigMap under names that bind to vlm3d.artifacts.s3.*, the keys come from a Secret. */
    @Test
    void s3ArtifactStoreIsConfiguredAndTakesItsKeysFromASecret() {
        RenderedChart s3 = RenderedChart.render(
                CPU_VALUES,
                c -> c.set("artifacts.store", "s3")
                        .set("artifacts.s3.bucket", "vlm3d-artifacts")
                        .set("artifacts.s3.endpoint", "http://minio.storage:9000")
                        .set("artifacts.s3.pathStyle", "true")
                        .set("artifacts.s3.download", "redirect")
                        .set("artifacts.s3.credentialsSecret", "vlm3d-s3")
                        .set("retention.defaultTtl", "3d"));
        Map<String, String> config = configMapData(s3);
        assertThat(config).doesNotContainKey("VLM3D_ARTIFACTS_S3_PRESIGNENDPOINT");
        Binder binder = binderOver(config);
        assertThat(bind(binder, "vlm3d.artifacts.store")).isEqualTo("s3");
        assertThat(bind(binder, "vlm3d.artifacts.s3.bucket")).isEqualTo("vlm3d-artifacts");
        assertThat(bind(binder, "vlm3d.artifacts.s3.endpoint")).isEqualTo("http://minio.storage:9000");
        assertThat(bind(binder, "vlm3d.artifacts.s3.path-style")).isEqualTo("true");
        assertThat(bind(binder, "vlm3d.artifacts.s3.download")).isEqualTo("redirect");
        assertThat(bind(binder, "vlm3d.artifacts.s3.presign-ttl")).isEqualTo("5m");
        assertThat(bind(binder, "vlm3d.artifacts.s3.multipart-threshold")).isEqualTo("16MB");
        assertThat(bind(binder, "vlm3d.artifacts.s3.part-size")).isEqualTo("8MB");
        assertThat(bind(binder, "vlm3d.retention.default-ttl")).isEqualTo("3d");
        assertThat(bind(binder, "vlm3d.retention.sweep-interval")).isEqualTo("1m");
        assertThat(bind(binder, "vlm3d.artifacts.retain-failed-checkpoints")).isEqualTo("false");
        for (String deployment : List.of(WEB, WORKER)) {
            Map<String, Map<String, Object>> refs = secretRefs(s3, deployment);
            assertThat(refs.get("AWS_ACCESS_KEY_ID"))
                    .containsEntry("name", "vlm3d-s3")
                    .containsEntry("key", "access-key-id");
            assertThat(refs.get("AWS_SECRET_ACCESS_KEY"))
                    .containsEntry("name", "vlm3d-s3")
                    .containsEntry("key", "secret-access-key");
        }
        assertThat(secretRefs(cpu, WEB)).as("no S3 keys for the other stores").doesNotContainKey("AWS_ACCESS_KEY_ID");
        assertThat(configMapData(cpu)).doesNotContainKey("VLM3D_ARTIFACTS_S3_BUCKET");
        assertThatThrownBy(() -> RenderedChart.render(CPU_VALUES, c -> c.set("artifacts.store", "s3")))
                .hasMessageContaining("artifacts.s3.bucket");
        assertThatThrownBy(() -> RenderedChart.render(
                        CPU_VALUES,
                        c -> c.set("artifacts.store", "s3")
                                .set("artifacts.s3.bucket", "b")
                                .set("artifacts.s3.download", "proxy")))
                .hasMessageContaining("download");
    }

    /**
     * The chart sets properties as environment variables; a name that Spring's relaxed binding does not map back to
     * the property (e.g. VLM3D_MODELS_VLM_DIR for vlm3d.models.vlm-dir) would be silently ignored.
     */
    @Test
    void environmentBindsToTheServiceProperties() {
        Map<String, String> workerEnv = new HashMap<>(configMapData(gpu));
        workerEnv.putAll(env(gpu, WORKER));
        Binder binder = binderOver(workerEnv);
        assertThat(bind(binder, "vlm3d.worker.enabled")).isEqualTo("true");
        assertThat(bind(binder, "vlm3d.worker.count")).isEqualTo("1");
        assertThat(bind(binder, "vlm3d.worker.devices")).isEqualTo("gpu0");
        assertThat(bind(binder, "vlm3d.models.vlm-dir")).isEqualTo("/models/Qwen2.5-VL-7B-Instruct");
        assertThat(bind(binder, "vlm3d.models.diffusion-dir")).isEqualTo("/models/mvdream-sd2.1-diffusers");
        assertThat(bind(binder, "vlm3d.artifacts.store")).isEqualTo("filesystem");
        assertThat(bind(binder, "vlm3d.artifacts.dir")).isEqualTo("/var/lib/vlm3d/artifacts");
        assertThat(bind(binder, "spring.lifecycle.timeout-per-shutdown-phase")).endsWith("s");
        assertThat(bind(binder, "management.endpoint.health.probes.enabled")).isEqualTo("true");

        Map<String, String> webEnv = new HashMap<>(configMapData(gpu));
        webEnv.putAll(env(gpu, WEB));
        assertThat(bind(binderOver(webEnv), "vlm3d.worker.enabled")).isEqualTo("false");

        // Secret-backed variables are bound the same way; check their names with placeholder values.
        Map<String, String> secretEnv = secretRefs(gpu, WORKER).keySet().stream()
                .collect(Collectors.toMap(name -> name, name -> "from-secret"));
        Binder secrets = binderOver(secretEnv);
        for (String property : Set.of(
                "spring.datasource.url",
                "spring.datasource.username",
                "spring.datasource.password",
                "vlm3d.security.admin-key")) {
            assertThat(bind(secrets, property)).as(property).isEqualTo("from-secret");
        }
    }

    @Test
    void webhookValuesBindToTheWebhookProperties() {
        Binder safe = binderOver(configMapData(defaults));
        // by default no private target is allowed: the property is empty
        assertThat(bind(safe, "vlm3d.webhooks.allow-list")).isEmpty();
        assertThat(bind(safe, "vlm3d.webhooks.timeout")).isEqualTo("10s");

        RenderedChart opened = RenderedChart.render(
                null,
                c -> c.set("security.adminKey", "k")
                        .set("webhooks.allowList[0]", "10.0.0.0/8")
                        .set("webhooks.allowList[1]", "hooks.internal")
                        .set("webhooks.retryWindow", "12h"));
        Binder binder = binderOver(configMapData(opened));
        List<String> allowList = binder.bind(
                        "vlm3d.webhooks.allow-list",
                        org.springframework.boot.context.properties.bind.Bindable.listOf(String.class))
                .get();
        assertThat(allowList).containsExactly("10.0.0.0/8", "hooks.internal");
        assertThat(bind(binder, "vlm3d.webhooks.retry-window")).isEqualTo("12h");
        assertThatThrownBy(() -> RenderedChart.render(
                        null, c -> c.set("security.adminKey", "k").set("webhooks.timeout", "ten seconds")))
                .hasMessageContaining("timeout");
    }

    @Test
    void chartAppVersionFollowsThePomVersion() throws Exception {
        String pomVersion = MavenProject.read().version().replace("-SNAPSHOT", "");
        assertThat(chartYaml.get("appVersion")).isEqualTo(pomVersion);
    }

    private static long probeWindowSeconds(Map<String, Object> container, String probe) {
        Map<String, Object> spec = Yamls.map(container, probe);
        return ((Number) spec.get("periodSeconds")).longValue() * ((Number) spec.get("failureThreshold")).longValue();
    }

    private static List<String> names(List<Map<String, Object>> objects) {
        return objects.stream().map(o -> Yamls.string(o, "metadata.name")).toList();
    }

    /** Literal env values of a Deployment's container (valueFrom entries are left out). */
    private static Map<String, String> env(RenderedChart chart, String deployment) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Map<String, Object> entry : Yamls.list(chart.container(deployment), "env")) {
            if (entry.containsKey("value")) {
                env.put(entry.get("name").toString(), entry.get("value").toString());
            }
        }
        return env;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> secretRefs(RenderedChart chart, String deployment) {
        Map<String, Map<String, Object>> refs = new LinkedHashMap<>();
        for (Map<String, Object> entry : Yamls.list(chart.container(deployment), "env")) {
            Object ref = Yamls.at(entry, "valueFrom.secretKeyRef");
            if (ref != null) {
                refs.put(entry.get("name").toString(), (Map<String, Object>) ref);
            }
        }
        return refs;
    }

    private static Map<String, String> configMapData(RenderedChart chart) {
        Map<String, String> data = new HashMap<>();
        Yamls.map(chart.get("ConfigMap", PREFIX), "data").forEach((k, v) -> data.put(k, v.toString()));
        return data;
    }

    private static Binder binderOver(Map<String, String> environment) {
        Map<String, Object> source = new HashMap<>(environment);
        // Only a source named "systemEnvironment" gets the environment-variable name mapping.
        SystemEnvironmentPropertySource env = new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, source);
        return new Binder(ConfigurationPropertySources.from(env));
    }

    private static String bind(Binder binder, String property) {
        return binder.bind(property, String.class).orElse(null);
    }
}
