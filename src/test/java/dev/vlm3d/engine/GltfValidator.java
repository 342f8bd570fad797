package dev.vlm3d.engine;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the Khronos glTF validator (npm gltf-validator, installed by {@code npm ci} in tools/) on a file. Skips only
 * when no {@code node} binary exists; with node present but tools/node_modules missing it fails, so CI cannot pass
 * silently without validating.
 */
public final class GltfValidator {

    private GltfValidator() {}

    public static String validate(Path file) throws IOException, InterruptedException {
        Path tools = Path.of("tools").toAbsolutePath();
        Assumptions.assumeTrue(nodeAvailable(), "node is not installed; the glTF validator cannot run");
        if (!Files.isDirectory(tools.resolve("node_modules/gltf-validator"))) {
            fail("tools/node_modules/gltf-validator is missing: run `npm ci` in " + tools);
        }
        Process p = new ProcessBuilder(
                        "node", tools.resolve("validate-gltf.mjs").toString(), file.toString())
                .redirectErrorStream(true)
                .start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("glTF validator timed out");
        }
        String report = new String(output, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail("glTF validator rejected " + file + " (exit " + p.exitValue() + "):\n" + report);
        }
        return report;
    }

    private static boolean nodeAvailable() {
        try {
            Process p = new ProcessBuilder("node", "--version")
                    .redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
