package dev.vlm3d.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The Kubernetes objects that {@code helm template} produces for helm/vlm3d-server, rendered in-process by the native
 * helm that helm-java bundles (build machines have no helm binary).
 */
record RenderedChart(String manifest, List<Map<String, Object>> objects) {

    static final Path CHART = Path.of("helm", "vlm3d-server");
    static final String RELEASE = "vlm3d";
    static final String NAMESPACE = "text-to-3d";
    /** A current Kubernetes minor; helm template otherwise assumes v1.20, which the chart's kubeVersion excludes. */
    static final String KUBE_VERSION = "1.31.0";

    static RenderedChart render(Path valuesFile) {
        return render(valuesFile, UnaryOperator.identity());
    }

    static RenderedChart render(Path valuesFile, UnaryOperator<TemplateCommand> extra) {
        TemplateCommand command = new Helm(CHART)
                .template()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        if (valuesFile != null) {
            command = command.withValuesFile(valuesFile);
        }
        String manifest = extra.apply(command).call();
        return new RenderedChart(manifest, parse(manifest));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> parse(String manifest) {
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(manifest)) {
            if (document != null) {
                objects.add((Map<String, Object>) document);
            }
        }
        return objects;
    }

    List<Map<String, Object>> ofKind(String kind) {
        return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
    }

    Map<String, Object> get(String kind, String name) {
        List<Map<String, Object>> matches = ofKind(kind).stream()
                .filter(o -> name.equals(Yamls.at(o, "metadata.name")))
                .toList();
        assertThat(matches).as("%s %s in the rendered chart", kind, name).hasSize(1);
        return matches.get(0);
    }

    boolean has(String kind, String name) {
        return ofKind(kind).stream().anyMatch(o -> name.equals(Yamls.at(o, "metadata.name")));
    }

    /** The only container of a Deployment's pod template. */
    Map<String, Object> container(String deploymentName) {
        List<Map<String, Object>> containers =
                Yamls.list(get("Deployment", deploymentName), "spec.template.spec.containers");
        assertThat(containers).as("containers of %s", deploymentName).hasSize(1);
        return containers.get(0);
    }

    Map<String, Object> podSpec(String deploymentName) {
        return Yamls.map(get("Deployment", deploymentName), "spec.template.spec");
    }
}
