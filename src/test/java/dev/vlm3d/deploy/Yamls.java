package dev.vlm3d.deploy;

import java.util.List;
import java.util.Map;

/** Dotted-path access into parsed YAML/JSON trees ("spec.template.spec.containers"). */
final class Yamls {

    private Yamls() {}

    static Object at(Object tree, String path) {
        Object node = tree;
        for (String key : path.split("\\.")) {
            if (!(node instanceof Map<?, ?> map)) {
                return null;
            }
            node = map.get(key);
        }
        return node;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object tree, String path) {
        Object node = at(tree, path);
        if (!(node instanceof Map<?, ?>)) {
            throw new AssertionError("expected a mapping at " + path + " but found " + node);
        }
        return (Map<String, Object>) node;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Object tree, String path) {
        Object node = at(tree, path);
        if (!(node instanceof List<?>)) {
            throw new AssertionError("expected a sequence at " + path + " but found " + node);
        }
        return (List<Map<String, Object>>) node;
    }

    static String string(Object tree, String path) {
        Object node = at(tree, path);
        return node == null ? null : node.toString();
    }
}
