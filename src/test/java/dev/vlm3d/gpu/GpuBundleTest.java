package dev.vlm3d.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tools/gpu/bundle.sh builds the folder a Java-less GPU machine receives, under the 64 MiB the device tool carries
 * together with the working tree, and that folder alone runs the engine: its JRE and jars (no pytorch-native-cpu, no
 * pytorch-jni) run the benchmark and {@code generate} on a libtorch given by PYTORCH_LIBRARY_PATH, with the JNI at
 * the path tools/gpu/build-djl-jni.sh installs to. The child JVM has no JNI jar, so it starts only if DJL's offline
 * lookup resolves that path. (Here the libtorch is DJL's CPU 2.7.1 and the JNI DJL's own, standing in for the host's
 * torch and the JNI built there; docs/gpu-bringup.md.)
 */
class GpuBundleTest {

    private static final long MIB = 1024 * 1024;

    @Test
    void bundleFitsTheCarryLimitAndRunsTheEngineOnItsOwn(@TempDir Path dir) throws Exception {
        Path djl = Scripts.syntheticDjlCheckout(dir.resolve("djl"), "0.35.1");
        Path classpath = dir.resolve("classpath.txt");
        Files.writeString(classpath, System.getProperty("java.class.path"));
        Path bundle = dir.resolve("bundle");
        Scripts.Result built = Scripts.script(
                "bundle.sh",
                Map.of(),
                "--djl",
                djl.toString(),
                "--skip-build",
                "--classpath",
                classpath.toString(),
                "--out",
                bundle.toString());
        assertThat(built.exit()).as(built.output()).isZero();

        // size: the whole folder, and with the working tree that travels beside it
        JsonObject manifest = JsonParser.parseString(Files.readString(bundle.resolve("bundle.json")))
                .getAsJsonObject();
        long bytes = du(bundle);
        assertThat(bytes).isLessThan(64 * MIB);
        assertThat(bytes + manifest.get("working_tree_bytes").getAsLong()).isLessThanOrEqualTo(64 * MIB);

        // content: the runtime jars without libtorch or a JNI, the Rust tokenizer for linux-x86_64 only
        List<String> jars = list(bundle.resolve("lib"));
        assertThat(jars)
                .anyMatch(j -> j.startsWith("api-0.35.1"))
                .anyMatch(j -> j.startsWith("pytorch-engine-"))
                .anyMatch(j -> j.startsWith("tokenizers-"))
                .anyMatch(j -> j.startsWith("logback-classic-"))
                .noneMatch(j -> j.startsWith("pytorch-native-") || j.startsWith("pytorch-jni-"))
                .noneMatch(j -> j.startsWith("spring-") || j.startsWith("junit-") || j.startsWith("postgresql-"));
        Path tokenizers = bundle.resolve("lib")
                .resolve(jars.stream()
                        .filter(j -> j.startsWith("tokenizers-"))
                        .findFirst()
                        .orElseThrow());
        try (ZipFile zip = new ZipFile(tokenizers.toFile())) {
            List<String> natives = zip.stream()
                    .map(e -> e.getName())
                    .filter(n -> n.startsWith("native/lib/") && !n.endsWith("/") && !n.endsWith(".properties"))
                    .toList();
            assertThat(natives).isNotEmpty().allMatch(n -> n.startsWith("native/lib/linux-x86_64/"));
        }
        Path classes = bundle.resolve("classes");
        assertThat(classes.resolve("dev/vlm3d/pipeline/cli/GenerateCommand.class"))
                .isRegularFile();
        assertThat(classes.resolve("dev/vlm3d/bench/RealSizeStepBenchmark.class"))
                .isRegularFile();
        assertThat(classes.resolve("configs/qwen2.5-vl-7b-instruct.config.json"))
                .isRegularFile();
        assertThat(classes.resolve("configs/mvdream-sd2.1-diffusers/unet/config.json"))
                .isRegularFile();
        assertThat(classes.resolve("tiny-models/qwen25vl/config.json")).isRegularFile();
        assertThat(classes.resolve("fixtures")).doesNotExist();
        assertThat(Files.readString(bundle.resolve("djl/jni-header/ai_djl_pytorch_jni_PyTorchLibrary.h")))
                .contains("Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSum");
        assertThat(bundle.resolve("djl/engines/pytorch/pytorch-native/CMakeLists.txt"))
                .isRegularFile();
        assertThat(bundle.resolve("djl/api/src/main/native/djl/utils.h")).isRegularFile();

        // the JRE: unpacks, has jni.h for the JNI build and a font for the curves chart
        Path jre = dir.resolve("unpacked");
        Files.createDirectories(jre);
        assertThat(Scripts.run(
                                List.of(
                                        "tar",
                                        "-C",
                                        jre.toString(),
                                        "-xJf",
                                        bundle.resolve("jre.tar.xz").toString()),
                                Map.of(),
                                120)
                        .exit())
                .isZero();
        Path java = jre.resolve("jre/bin/java");
        assertThat(java).isExecutable();
        assertThat(jre.resolve("jre/include/jni.h")).isRegularFile();
        assertThat(jre.resolve("jre/lib/fonts/DejaVuSans.ttf")).isRegularFile();

        // a libtorch folder and the JNI where build-djl-jni.sh installs it
        Engine.getEngine("PyTorch");
        Path extracted = Path.of(LibUtils.getLibtorchPath());
        String version = LibUtils.getVersion();
        Path torchLib = Files.createDirectories(dir.resolve("torch/lib"));
        Path jni = null;
        try (Stream<Path> files = Files.list(extracted)) {
            for (Path f : files.toList()) {
                if (f.getFileName().toString().contains("djl_torch")) {
                    jni = f;
                } else {
                    Files.createSymbolicLink(torchLib.resolve(f.getFileName()), f);
                }
            }
        }
        assertThat(jni).as("the JNI DJL extracted for this JVM").isNotNull();
        try {
            runFromTheBundle(dir, djl, bundle, jre, jars, torchLib, jni, version);
        } finally {
            // JUnit's temp-dir cleanup warns about links that point outside it
            try (Stream<Path> links = Files.list(torchLib)) {
                for (Path link : links.toList()) {
                    Files.delete(link);
                }
            }
        }
    }

    private static void runFromTheBundle(
            Path dir, Path djl, Path bundle, Path jre, List<String> jars, Path torchLib, Path jni, String version)
            throws Exception {
        Path java = jre.resolve("jre/bin/java");
        Path classes = bundle.resolve("classes");
        String[] v = version.split("\\.");
        Scripts.write(
                dir.resolve("torch/include/torch/csrc/api/include/torch/version.h"),
                "#define TORCH_VERSION_MAJOR " + v[0] + "\n#define TORCH_VERSION_MINOR " + v[1]
                        + "\n#define TORCH_VERSION_PATCH " + v[2] + "\n");
        Path cache = dir.resolve("djl-cache");
        Scripts.Result where = Scripts.script(
                "build-djl-jni.sh",
                Map.of("DJL_CACHE_DIR", cache.toString()),
                "--djl",
                djl.toString(),
                "--torch",
                dir.resolve("torch").toString(),
                "--print-install-path");
        assertThat(where.exit()).as(where.output()).isZero();
        Path installed = Path.of(where.output().strip());
        Files.createDirectories(installed.getParent());
        Files.copy(jni, installed);

        String flavor = installed
                .getParent()
                .getFileName()
                .toString()
                .replace(version + "-", "")
                .replace("-linux-x86_64", "");
        Map<String, String> env = Map.of(
                "PYTORCH_LIBRARY_PATH",
                torchLib.toString(),
                "PYTORCH_VERSION",
                version,
                "PYTORCH_FLAVOR",
                flavor,
                "DJL_CACHE_DIR",
                cache.toString(),
                "DJL_OFFLINE",
                "true",
                "OPT_OUT_TRACKING",
                "true",
                "LD_LIBRARY_PATH",
                jre.resolve("jre/lib/system").toString());
        String cp = classes + ":"
                + String.join(
                        ":",
                        jars.stream()
                                .map(j -> bundle.resolve("lib").resolve(j).toString())
                                .toList());
        Path report = dir.resolve("realsize.json");
        Scripts.Result bench = Scripts.run(
                command(
                        java,
                        cp,
                        "dev.vlm3d.bench.RealSizeStepBenchmark",
                        "--size",
                        "reduced",
                        "--device",
                        "cpu",
                        "--modes",
                        "FP32",
                        "--phases",
                        "A",
                        "--warmup",
                        "0",
                        "--steps",
                        "1",
                        "--json",
                        report.toString()),
                env,
                300);
        assertThat(bench.exit()).as(bench.output()).isZero();
        assertThat(bench.output()).doesNotContainIgnoringCase("download");
        JsonObject phase = JsonParser.parseString(Files.readString(report))
                .getAsJsonObject()
                .getAsJsonArray("modes")
                .get(0)
                .getAsJsonObject()
                .getAsJsonArray("phases")
                .get(0)
                .getAsJsonObject();
        assertThat(phase.getAsJsonObject("seconds_per_step").get("total").getAsDouble())
                .isPositive();

        Path out = dir.resolve("smoke");
        Scripts.Result smoke = Scripts.run(
                command(
                        java,
                        cp,
                        "dev.vlm3d.pipeline.cli.GenerateCommand",
                        "--prompt",
                        "a red apple",
                        "--steps",
                        "2",
                        "--out",
                        out.toString(),
                        "--cache-dir",
                        dir.resolve("tiny").toString()),
                env,
                300);
        assertThat(smoke.exit()).as(smoke.output()).isZero();
        assertThat(out.resolve("model.glb")).isRegularFile();
        assertThat(out.resolve("curves.png")).isRegularFile();
    }

    private static List<String> command(Path java, String cp, String main, String... args) {
        List<String> c = new ArrayList<>(
                List.of(java.toString(), "-Djava.awt.headless=true", "-Dai.djl.offline=true", "-cp", cp, main));
        c.addAll(List.of(args));
        return c;
    }

    private static List<String> list(Path folder) throws Exception {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static long du(Path folder) throws Exception {
        try (Stream<Path> s = Files.walk(folder)) {
            long total = 0;
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                total += Files.size(p);
            }
            return total;
        }
    }
}
