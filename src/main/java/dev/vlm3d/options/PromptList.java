package dev.vlm3d.options;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Prompt lists: the benchmark's 110 (bundled verbatim from its prompts.json) or a text file, one prompt a line. */
public final class PromptList {

    /** The name that selects the bundled benchmark list (CLI {@code --prompts}, API {@code prompt_list}). */
    public static final String GPTEVAL3D = "gpteval3d";

    private PromptList() {}

    /** The benchmark's prompts.json, bundled under gpteval3d/ with the evaluation's other texts (docs/evaluation.md). */
    private static String bundled() {
        try (java.io.InputStream in = PromptList.class.getClassLoader().getResourceAsStream("gpteval3d/prompts.json")) {
            if (in == null) {
                throw new IllegalStateException("missing resource gpteval3d/prompts.json");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static List<String> gpteval3d() {
        List<String> out = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(bundled()).getAsJsonArray()) {
            out.add(e.getAsString());
        }
        return List.copyOf(out);
    }

    /** {@code gpteval3d}, a .json array of strings, or a text file with one prompt per line (blank lines ignored). */
    public static List<String> load(String spec) throws IOException {
        if (spec.equals(GPTEVAL3D)) {
            return gpteval3d();
        }
        Path p = Path.of(spec);
        String text = Files.readString(p, StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        if (spec.endsWith(".json")) {
            for (JsonElement e : JsonParser.parseString(text).getAsJsonArray()) {
                out.add(e.getAsString());
            }
        } else {
            for (String line : text.split("\n", -1)) {
                String l = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
                if (!l.isBlank()) {
                    out.add(l);
                }
            }
        }
        if (out.isEmpty()) {
            throw new IOException(spec + " holds no prompts");
        }
        return List.copyOf(out);
    }
}
