package dev.vlm3d.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * docs/deployment.md walks a user from helm install to a downloaded model.glb; its commands must name what the chart
 * really creates (release "vlm3d" in namespace "text-to-3d", as in the guide) and values the chart really has.
 */
class DeploymentDocsTest {

    private static final Path GUIDE = Path.of("docs", "deployment.md");

    private static String guide;
    private static RenderedChart chart;
    private static Map<String, Object> values;

    @BeforeAll
    static void load() throws Exception {
        guide = Files.readString(GUIDE);
        chart = RenderedChart.render(null, c -> c.set("security.adminKey", "docs-test"));
        values = new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(Files.readString(RenderedChart.CHART.resolve("values.yaml")));
    }

    @Test
    void guideUsesTheReleaseAndNamespaceTheTestsRender() {
        assertThat(guide)
                .contains(
                        "helm install " + RenderedChart.RELEASE + " ./helm/vlm3d-server -n " + RenderedChart.NAMESPACE);
    }

    @Test
    void kubectlCommandsNameObjectsTheChartCreates() {
        Set<String> deployments = matches("deploy/([a-z0-9-]+)");
        assertThat(deployments).isNotEmpty();
        deployments.forEach(name -> assertThat(chart.has("Deployment", name))
                .as("Deployment %s", name)
                .isTrue());

        Set<String> services = matches("svc/([a-z0-9-]+)");
        assertThat(services).isNotEmpty();
        services.forEach(name ->
                assertThat(chart.has("Service", name)).as("Service %s", name).isTrue());

        // The chart-managed Secret the guide mentions, and the key it reads the admin key from.
        matches("secret/([a-z0-9-]+)")
                .forEach(name -> assertThat(chart.has("Secret", name))
                        .as("Secret %s", name)
                        .isTrue());
        assertThat(guide).contains("jsonpath='{.data." + Yamls.string(values, "secretKeys.adminKey") + "}'");
    }

    @Test
    void existingSecretExampleHasTheKeysThePodsRead() {
        Set<String> literalKeys = matches("--from-literal=([a-z-]+)=");
        Map<String, Object> secretKeys = Yamls.map(values, "secretKeys");
        assertThat(literalKeys)
                .containsExactlyInAnyOrderElementsOf(
                        secretKeys.values().stream().map(Object::toString).toList());
    }

    @Test
    void everyValueTheGuideSetsExistsInValuesYaml() {
        Set<String> keys = new LinkedHashSet<>();
        keys.addAll(matches("--set(?:-json)? '?([a-zA-Z.]+)="));
        // The values table: | `a.b`, `c.d` | ... |
        Matcher row = Pattern.compile("(?m)^\\| (`[a-zA-Z.]+`(?:[^|]*))\\|").matcher(guide);
        while (row.find()) {
            Matcher key = Pattern.compile("`([a-zA-Z]+(?:\\.[a-zA-Z]+)+)`").matcher(row.group(1));
            while (key.find()) {
                if (!key.group(1).startsWith("vlm3d.")) {
                    keys.add(key.group(1));
                }
            }
        }
        assertThat(keys)
                .contains("existingSecret", "database.host", "security.adminKey", "worker.replicaCount", "image.tag");
        for (String key : keys) {
            String dotted = key.replaceAll("=.*", "");
            assertThat(Yamls.at(values, dotted) != null || containsKey(values, dotted))
                    .as("values.yaml has %s", dotted)
                    .isTrue();
        }
    }

    @Test
    void startupTimesInTheGuideMatchTheProbes() {
        long workerMinutes = probeWindowSeconds("worker-startup") / 60;
        long webMinutes = probeWindowSeconds("web-startup") / 60;
        assertThat(guide).contains("worker pods " + workerMinutes + " minutes");
        assertThat(guide).contains("startup probe allows " + workerMinutes + " minutes");
        assertThat(guide).contains("Web pods\n  get " + webMinutes + " minutes");
    }

    @Test
    void firstJobWalkthroughUsesTheApiRoutes() {
        assertThat(guide)
                .contains("-X POST \"$VLM3D_URL/jobs\"")
                .contains("Authorization: Bearer $VLM3D_KEY")
                .contains("202 Accepted")
                .contains("Location")
                .contains("$JOB/artifacts/model.glb")
                .contains("kubectl -n " + RenderedChart.NAMESPACE + " port-forward svc/");
        // The port-forward targets the Service port.
        assertThat(guide).contains(":" + Yamls.at(values, "service.port") + " &");
    }

    private static long probeWindowSeconds(String which) {
        String component = which.startsWith("worker") ? "worker" : "web";
        Map<String, Object> probe = Yamls.map(values, component + ".startupProbe");
        return ((Number) probe.get("periodSeconds")).longValue() * ((Number) probe.get("failureThreshold")).longValue();
    }

    private static boolean containsKey(Map<String, Object> tree, String dotted) {
        int dot = dotted.lastIndexOf('.');
        Object parent = dot < 0 ? tree : Yamls.at(tree, dotted.substring(0, dot));
        return parent instanceof Map<?, ?> map && map.containsKey(dotted.substring(dot + 1));
    }

    private static Set<String> matches(String regex) {
        Set<String> found = new LinkedHashSet<>();
        Matcher m = Pattern.compile(regex).matcher(guide);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }
}
