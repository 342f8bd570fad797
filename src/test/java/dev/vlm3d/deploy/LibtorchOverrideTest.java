package dev.vlm3d.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.LibUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CUDA image does not use the libtorch inside the jar: it sets PYTORCH_LIBRARY_PATH, PYTORCH_VERSION and
 * PYTORCH_FLAVOR (see docker/Dockerfile.cuda) and runs offline. This runs the same mechanism in a child JVM with the
 * CPU libtorch standing in for the cu128 one (no GPU on build machines): libtorch must come from the given folder,
 * the JNI for the given flavor from the pytorch-jni jar, and nothing may be downloaded.
 */
class LibtorchOverrideTest {

    /** Entry point of the child JVM. */
    public static void main(String[] args) {
        Engine engine = Engine.getEngine("PyTorch");
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray sum = manager.arange(10f).sum();
            System.out.println("libtorch=" + LibUtils.getLibtorchPath());
            System.out.println("version=" + engine.getVersion());
            System.out.println("sum=" + sum.getFloat());
        }
    }

    @Test
    void imageEnvironmentLoadsLibtorchFromTheGivenFolderOffline(@TempDir Path dir) throws Exception {
        // The libtorch this JVM extracted from pytorch-native-cpu stands in for the image's /opt/libtorch/lib.
        Engine.getEngine("PyTorch");
        Path extracted = Path.of(LibUtils.getLibtorchPath());
        Path libtorch = Files.createDirectories(dir.resolve("opt-libtorch-lib"));
        try (Stream<Path> files = Files.list(extracted)) {
            for (Path file : files.filter(f -> !f.getFileName().toString().contains("djl_torch"))
                    .toList()) {
                Files.createSymbolicLink(libtorch.resolve(file.getFileName()), file);
            }
        }
        Path emptyCache = Files.createDirectories(dir.resolve("djl-cache"));

        String pytorchVersion = MavenProject.read().pytorchVersion();
        Map<String, String> imageEnv = Map.of(
                "PYTORCH_LIBRARY_PATH",
                libtorch.toString(),
                "PYTORCH_VERSION",
                pytorchVersion,
                "PYTORCH_FLAVOR",
                "cpu",
                "DJL_OFFLINE",
                "true",
                "OPT_OUT_TRACKING",
                "true",
                "DJL_CACHE_DIR",
                emptyCache.toString());
        String output;
        try {
            output = runChildJvm(imageEnv);
        } finally {
            // Remove the links before JUnit cleans the temp dir (it warns about links pointing outside it).
            try (Stream<Path> links = Files.list(libtorch)) {
                for (Path link : links.toList()) {
                    Files.delete(link);
                }
            }
        }

        assertThat(output)
                .contains("libtorch=" + libtorch)
                .contains("version=" + pytorchVersion)
                .contains("sum=45.0");
        assertThat(output).doesNotContainIgnoringCase("download");
        // Only the JNI was extracted (for the requested flavor); libtorch itself was not copied into the cache.
        try (Stream<Path> cached = Files.walk(emptyCache)) {
            List<String> files = cached.filter(Files::isRegularFile)
                    .map(p -> emptyCache.relativize(p).toString())
                    .toList();
            assertThat(files)
                    .singleElement()
                    .asString()
                    .startsWith("pytorch/" + pytorchVersion + "-cpu-")
                    .endsWith("libdjl_torch.so");
        }
    }

    private static String runChildJvm(Map<String, String> env) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(
                List.of(java, "-cp", System.getProperty("java.class.path"), LibtorchOverrideTest.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("PYTORCH_") || k.startsWith("DJL_"));
        builder.environment().putAll(env);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS))
                .as("child JVM finished")
                .isTrue();
        assertThat(process.exitValue())
                .as("child JVM exit, output:%n%s", output)
                .isZero();
        return output;
    }
}
