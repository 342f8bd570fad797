package dev.vlm3d.engine.guidance;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds the MVDream golden fixture sets: every directory under the test resources' {@code fixtures/mvdream/} and
 * every directory listed in the environment variable {@code VLM3D_FIXTURES_MVDREAM} (path-separated). A set holds
 * {@code model/} and {@code cases/<case>/}.
 */
final class MvDreamFixtureSets {

    static final String ENV = "VLM3D_FIXTURES_MVDREAM";

    private MvDreamFixtureSets() {}

    static List<Path> all() {
        List<Path> sets = new ArrayList<>();
        URL root = MvDreamFixtureSets.class.getClassLoader().getResource("fixtures/mvdream");
        if (root != null) {
            try (Stream<Path> dirs = Files.list(Path.of(root.toURI()))) {
                dirs.filter(MvDreamFixtureSets::isSet).sorted().forEach(sets::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        String extra = System.getenv(ENV);
        if (extra != null && !extra.isBlank()) {
            for (String p : extra.split(File.pathSeparator)) {
                if (p.isBlank()) {
                    continue;
                }
                Path set = Path.of(p.trim());
                if (!isSet(set)) {
                    throw new IllegalArgumentException(ENV + " lists " + set + ", which has no model/ and cases/");
                }
                sets.add(set);
            }
        }
        return sets;
    }

    static boolean isSet(Path dir) {
        return Files.isDirectory(dir.resolve("model")) && Files.isDirectory(dir.resolve("cases"));
    }

    static List<Path> cases(Path set) {
        try (Stream<Path> dirs = Files.list(set.resolve("cases"))) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("meta.json")))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
