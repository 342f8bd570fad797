package dev.vlm3d.models.qwen25vl;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Discovers Qwen2.5-VL golden fixture sets: every directory under src/test/resources/fixtures/qwen25vl/ and every
 * directory listed in the environment variable VLM3D_FIXTURES_QWEN25VL (path-separated). A set holds manifest.json,
 * model dirs, tokenizer/ and cases/*&#47;.
 */
public final class QwenVlFixtures {

    static final Path BUNDLED = Path.of("src/test/resources/fixtures/qwen25vl");
    static final String ENV = "VLM3D_FIXTURES_QWEN25VL";

    /** A model directory of a set with the suffix of its expected keys and which keys it has. */
    public record ModelDir(Path dir, String suffix, List<String> keys) {
        boolean has(String keyPattern) {
            return keys.contains(keyPattern);
        }
    }

    public record FixtureSet(Path root, JsonObject manifest) {
        public String name() {
            return root.toString();
        }

        Path tokenizerDir() {
            String dir = manifest.has("tokenizer_dir")
                    ? manifest.get("tokenizer_dir").getAsString()
                    : "tokenizer";
            return root.resolve(dir);
        }

        List<ModelDir> models() {
            List<ModelDir> out = new ArrayList<>();
            for (JsonElement e : manifest.getAsJsonArray("models")) {
                JsonObject o = e.getAsJsonObject();
                List<String> keys = new ArrayList<>();
                for (JsonElement k : o.getAsJsonArray("keys")) {
                    keys.add(k.getAsString());
                }
                out.add(new ModelDir(
                        root.resolve(o.get("dir").getAsString()),
                        o.get("expected_suffix").getAsString(),
                        keys));
            }
            return out;
        }

        List<Path> cases() {
            try (Stream<Path> s = Files.list(root.resolve("cases"))) {
                return s.filter(p -> Files.isRegularFile(p.resolve("meta.json")))
                        .sorted()
                        .toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        JsonObject tolerances() {
            return manifest.getAsJsonObject("tolerances");
        }

        double atol(String quantity) {
            return tolerances().getAsJsonObject(quantity).get("atol").getAsDouble();
        }
    }

    private QwenVlFixtures() {}

    public static List<FixtureSet> sets() {
        List<Path> roots = new ArrayList<>();
        if (Files.isDirectory(BUNDLED)) {
            try (Stream<Path> s = Files.list(BUNDLED)) {
                s.filter(p -> Files.isRegularFile(p.resolve("manifest.json")))
                        .sorted()
                        .forEach(roots::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        String extra = System.getenv(ENV);
        if (extra != null && !extra.isBlank()) {
            for (String p : extra.split(File.pathSeparator)) {
                if (!p.isBlank()) {
                    Path root = Path.of(p.trim());
                    if (!Files.isRegularFile(root.resolve("manifest.json"))) {
                        throw new IllegalStateException(ENV + " lists " + root + " which has no manifest.json");
                    }
                    roots.add(root);
                }
            }
        }
        List<FixtureSet> out = new ArrayList<>();
        for (Path r : roots) {
            out.add(new FixtureSet(r, readJson(r.resolve("manifest.json"))));
        }
        return out;
    }

    static JsonObject readJson(Path p) {
        try {
            return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The system message of a case's conversation, or null when it relies on the template default. */
    static String systemMessage(JsonObject meta) {
        JsonArray messages = meta.getAsJsonArray("messages");
        JsonObject first = messages.get(0).getAsJsonObject();
        if (!first.get("role").getAsString().equals("system")) {
            return null;
        }
        JsonElement content = first.get("content");
        if (content.isJsonPrimitive()) {
            return content.getAsString();
        }
        StringBuilder sb = new StringBuilder();
        for (JsonElement c : content.getAsJsonArray()) {
            sb.append(c.getAsJsonObject().get("text").getAsString());
        }
        return sb.toString();
    }

    /**
     * Collects garbage and reuses freed direct memory with NaNs. Called between forward and backward so that a
     * tensor whose host buffer was released before the backward pass (a DJL pitfall, see dev.vlm3d.nn.Scalars)
     * turns into a failing gradient instead of a lucky pass.
     */
    public static void churnDirectMemory() {
        System.gc();
        java.util.List<java.nio.ByteBuffer> junk = new java.util.ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(64).order(java.nio.ByteOrder.nativeOrder());
            for (int j = 0; j < 16; j++) {
                b.putFloat(4 * j, Float.NaN);
            }
            junk.add(b);
        }
        junk.clear();
    }

    /** The items of the case's user message, in order. */
    public static List<QwenVlTokenizer.Content> userContent(JsonObject meta) {
        List<QwenVlTokenizer.Content> items = new ArrayList<>();
        for (JsonElement m : meta.getAsJsonArray("messages")) {
            JsonObject message = m.getAsJsonObject();
            if (!message.get("role").getAsString().equals("user")) {
                continue;
            }
            JsonElement content = message.get("content");
            if (content.isJsonPrimitive()) {
                items.add(QwenVlTokenizer.Content.text(content.getAsString()));
                continue;
            }
            for (JsonElement c : content.getAsJsonArray()) {
                JsonObject item = c.getAsJsonObject();
                String type = item.has("type") ? item.get("type").getAsString() : "";
                if (type.equals("image") || item.has("image")) {
                    items.add(QwenVlTokenizer.Content.image());
                } else {
                    items.add(QwenVlTokenizer.Content.text(item.get("text").getAsString()));
                }
            }
        }
        return items;
    }

    /** The model's processor with the case's smart_resize pixel bounds (cases may differ from the folder default). */
    public static QwenVlImageProcessor processor(QwenVlModel model, JsonObject meta) {
        if (!meta.has("smart_resize")) {
            return model.processor();
        }
        JsonObject sr = meta.getAsJsonObject("smart_resize");
        return model.processor()
                .withPixelBounds(
                        sr.get("min_pixels").getAsLong(), sr.get("max_pixels").getAsLong());
    }

    public static String question(JsonObject meta) {
        return meta.get("question").getAsString();
    }
}
