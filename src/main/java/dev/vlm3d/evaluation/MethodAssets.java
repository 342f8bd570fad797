package dev.vlm3d.evaluation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One method's assets by prompt id (the 0-based line of the prompt list, as the benchmark names its folders): either
 * views already in the benchmark's layout ({@code <id>/0/rgb_0.png …}, e.g. the published renders) or a GLB to
 * render ({@code <id>.glb}, or {@code <id>/model.glb} as {@code generate --out DIR/<id>} writes it).
 *
 * @param views prompt id → folder holding rgb_i/normal_i
 * @param glbs  prompt id → GLB still to render
 */
public record MethodAssets(String name, Map<Integer, Path> views, Map<Integer, Path> glbs) {

    public MethodAssets {
        views = new TreeMap<>(views);
        glbs = new TreeMap<>(glbs);
    }

    /** Every prompt id this method has an asset for. */
    public java.util.Set<Integer> promptIds() {
        java.util.Set<Integer> ids = new java.util.TreeSet<>(views.keySet());
        ids.addAll(glbs.keySet());
        return ids;
    }

    /** Scans a method folder; entries that are not prompt ids below {@code promptCount} are ignored. */
    public static MethodAssets scan(Path dir, int promptCount) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " is not a folder");
        }
        Map<Integer, Path> views = new TreeMap<>();
        Map<Integer, Path> glbs = new TreeMap<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                String name = p.getFileName().toString();
                boolean glbFile = name.endsWith(".glb") && Files.isRegularFile(p);
                Integer id = promptId(glbFile ? name.substring(0, name.length() - 4) : name, promptCount);
                if (id == null) {
                    continue;
                }
                Path layout = BenchmarkViews.assetFolder(dir, id);
                if (glbFile) {
                    glbs.put(id, p);
                } else if (Files.isRegularFile(layout.resolve(BenchmarkViews.rgbName(0)))) {
                    views.put(id, layout);
                } else if (Files.isRegularFile(p.resolve("model.glb"))) {
                    glbs.put(id, p.resolve("model.glb"));
                }
            }
        }
        if (views.isEmpty() && glbs.isEmpty()) {
            throw new IOException(dir + " has no assets: expected <id>/0/rgb_0.png, <id>.glb or <id>/model.glb");
        }
        String name = dir.toAbsolutePath().normalize().getFileName().toString();
        return new MethodAssets(name, views, glbs);
    }

    private static Integer promptId(String s, int promptCount) {
        if (s.isEmpty() || s.startsWith(".") || !s.chars().allMatch(Character::isDigit) || s.length() > 6) {
            return null;
        }
        int id = Integer.parseInt(s);
        return id < promptCount ? id : null;
    }
}
