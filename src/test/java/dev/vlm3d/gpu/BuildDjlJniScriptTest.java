package dev.vlm3d.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tools/gpu/build-djl-jni.sh as far as a machine without the target libtorch's headers allows: its argument and
 * input checks, the version, flavor and ABI it derives, the patches it applies (on a stand-in checkout, and on a real
 * DJL v0.35.1 checkout when {@code -Ddjl.source=DIR} names one) and the install path DJL's lookup reads. The compile
 * itself ran against Debian's libtorch 1.13 (docs/gpu-bringup.md, "Tested here"); the library's install path is
 * proven against DJL's own LibUtils by GpuBundleTest.
 */
class BuildDjlJniScriptTest {

    @Test
    void refusesMissingOrWrongInputsWithExitCode2(@TempDir Path dir) throws Exception {
        Path djl = Scripts.syntheticDjlCheckout(dir.resolve("djl"), "0.35.1");
        Path torch = Scripts.fakeLibtorch(dir.resolve("torch"), "2.11.0", null, false, null);

        assertRefused(Map.of(), "--djl DJL_CHECKOUT is required");
        assertRefused(Map.of(), "is not a DJL checkout", "--djl", dir.toString(), "--torch", torch.toString());
        Path old = Scripts.syntheticDjlCheckout(dir.resolve("djl-old"), "0.34.0");
        assertRefused(Map.of(), "is DJL '0.34.0'", "--djl", old.toString(), "--torch", torch.toString());
        assertRefused(Map.of(), "give --torch", "--djl", djl.toString());
        Files.delete(torch.resolve("lib/libc10.so"));
        assertRefused(Map.of(), "has no libc10.so", "--djl", djl.toString(), "--torch", torch.toString());
        Path good = Scripts.fakeLibtorch(dir.resolve("torch2"), "2.11.0", null, false, null);
        assertRefused(
                Map.of(),
                "--jobs must be a positive number",
                "--djl",
                djl.toString(),
                "--torch",
                good.toString(),
                "--jobs",
                "0");
        assertRefused(
                Map.of(),
                "does not match the headers",
                "--djl",
                djl.toString(),
                "--torch",
                good.toString(),
                "--version",
                "2.7.1");
        assertRefused(
                Map.of(),
                "no such unit",
                "--djl",
                djl.toString(),
                "--torch",
                good.toString(),
                "--flavor",
                "cpu",
                "--skip-unit",
                "nonexistent",
                "--patch-only",
                "--work",
                dir.resolve("w").toString());
        assertRefused(
                Map.of(),
                "is not cpu or cuNNN",
                "--djl",
                djl.toString(),
                "--torch",
                good.toString(),
                "--flavor",
                "rocm61");
        assertRefused(Map.of(), "unknown argument", "--frobnicate");
    }

    @Test
    void newLibtorchGetsTheOptionalAndProfilerPatches(@TempDir Path dir) throws Exception {
        Path djl = Scripts.syntheticDjlCheckout(dir.resolve("djl"), "0.35.1");
        Path torch = Scripts.fakeLibtorch(dir.resolve("torch"), "2.11.0", null, false, null);
        Path work = dir.resolve("work");
        Scripts.Result r = Scripts.script(
                "build-djl-jni.sh",
                Map.of(),
                "--djl",
                djl.toString(),
                "--torch",
                torch.toString(),
                "--flavor",
                "cpu",
                "--patch-only",
                "--work",
                work.toString());
        assertThat(r.exit()).as(r.output()).isZero();

        JsonObject report = JsonParser.parseString(Files.readString(work.resolve("build-report.json")))
                .getAsJsonObject();
        assertThat(report.get("status").getAsString()).isEqualTo("patched");
        assertThat(report.get("libtorch_version").getAsString()).isEqualTo("2.11.0");
        assertThat(report.getAsJsonArray("patches").toString())
                .contains("c10-optional: ai_djl_pytorch_jni_PyTorchLibrary_torch_creation.cc:2")
                .contains("legacy-profiler");
        // the header came from javac -h on the checkout's PyTorchLibrary.java
        assertThat(Files.readString(work.resolve("include/ai_djl_pytorch_jni_PyTorchLibrary.h")))
                .contains("Java_ai_djl_pytorch_jni_PyTorchLibrary_torchSum");

        assertThat(Files.readString(work.resolve("src/ai_djl_pytorch_jni_PyTorchLibrary_torch_creation.cc")))
                .contains("std::optional<int>(1)", "std::nullopt")
                .doesNotContain("c10::");
        String system = Files.readString(work.resolve("src/ai_djl_pytorch_jni_PyTorchLibrary_system.cc"));
        // the profiler block is compiled out, replaced by two natives that throw, and the rest is untouched
        int guard = system.indexOf("#ifndef VLM3D_NO_LEGACY_PROFILER\n// the code snippet is copied");
        int original = system.indexOf("enableProfilerLegacy();");
        int replacement = system.indexOf("#else  // VLM3D_NO_LEGACY_PROFILER");
        int end = system.indexOf("#endif", replacement);
        int after = system.indexOf("Java_ai_djl_pytorch_jni_PyTorchLibrary_torchCudaEmptyCache");
        assertThat(guard).isPositive();
        assertThat(original).isGreaterThan(guard);
        assertThat(replacement).isGreaterThan(original);
        assertThat(end).isGreaterThan(replacement).isLessThan(after);
        assertThat(system.substring(replacement, end))
                .contains("torchStartProfile(", "torchStopProfile(", "TORCH_CHECK(false");
        assertThat(system)
                .contains("#ifndef VLM3D_NO_LEGACY_PROFILER\nusing namespace torch::autograd::profiler;\n#endif");
        assertThat(system).contains("torchIsGradMode");
        // the user's checkout is never modified
        assertThat(
                        Files.readString(
                                djl.resolve(
                                        "engines/pytorch/pytorch-native/src/main/native/ai_djl_pytorch_jni_PyTorchLibrary_torch_creation.cc")))
                .contains("c10::optional");
    }

    @Test
    void libtorch113GetsDjlsOwnSwitchAndKeepsItsProfilerAndOptional(@TempDir Path dir) throws Exception {
        Path djl = Scripts.syntheticDjlCheckout(dir.resolve("djl"), "0.35.1");
        Path torch = Scripts.fakeLibtorch(dir.resolve("torch"), "1.13.1", null, true, null);
        Path work = dir.resolve("work");
        Scripts.Result r = Scripts.script(
                "build-djl-jni.sh",
                Map.of(),
                "--djl",
                djl.toString(),
                "--torch",
                torch.toString(),
                "--flavor",
                "cpu",
                "--patch-only",
                "--work",
                work.toString());
        assertThat(r.exit()).as(r.output()).isZero();
        String patches = JsonParser.parseString(Files.readString(work.resolve("build-report.json")))
                .getAsJsonObject()
                .getAsJsonArray("patches")
                .toString();
        assertThat(patches).contains("V1_13_X").doesNotContain("c10-optional").doesNotContain("legacy-profiler");
        assertThat(Files.readString(work.resolve("src/ai_djl_pytorch_jni_PyTorchLibrary_system.cc")))
                .doesNotContain("VLM3D_NO_LEGACY_PROFILER");
    }

    @Test
    void installPathIsDjlsCacheLayoutForTheDerivedVersionAndFlavor(@TempDir Path dir) throws Exception {
        Path djl = Scripts.syntheticDjlCheckout(dir.resolve("djl"), "0.35.1");
        // a real cxx11-ABI libc10 (the CPU libtorch DJL extracted for this JVM) so the ABI check sees its symbols
        Engine.getEngine("PyTorch");
        Path libc10 = Path.of(LibUtils.getLibtorchPath()).resolve("libc10.so");
        Path cudaHeaders = dir.resolve("cuda/include");
        Scripts.write(cudaHeaders.resolve("cuda_runtime_api.h"), "");
        Path torch = Scripts.fakeLibtorch(dir.resolve("torch"), "2.11.0", libc10, false, "13.0");
        String[] args = {
            "--djl",
            djl.toString(),
            "--torch",
            torch.toString(),
            "--cuda-include",
            cudaHeaders.toString(),
            "--print-install-path"
        };

        Path cache = dir.resolve("cache");
        assertThat(installPath(Map.of("DJL_CACHE_DIR", cache.toString()), args))
                .isEqualTo(cache.resolve("pytorch/2.11.0-cu130-linux-x86_64/0.35.1-libdjl_torch.so")
                        .toString());
        // as in ai.djl.util.Utils.getEngineCacheDir: ENGINE_CACHE_DIR before DJL_CACHE_DIR
        Path engine = dir.resolve("engine");
        assertThat(installPath(Map.of("DJL_CACHE_DIR", cache.toString(), "ENGINE_CACHE_DIR", engine.toString()), args))
                .startsWith(engine.resolve("pytorch/2.11.0-cu130-").toString());
        assertThat(installPath(Map.of("HOME", dir.toString()), args))
                .startsWith(dir.resolve(".djl.ai/pytorch/").toString());
        // a pre-C++11-ABI build (no __cxx11 symbols) gets DJL's -precxx11 flavor suffix
        Path old = Scripts.fakeLibtorch(dir.resolve("torch-old"), "2.5.1", null, false, "12.4");
        assertThat(installPath(
                        Map.of("DJL_CACHE_DIR", cache.toString()),
                        "--djl",
                        djl.toString(),
                        "--torch",
                        old.toString(),
                        "--cuda-include",
                        cudaHeaders.toString(),
                        "--print-install-path"))
                .endsWith("pytorch/2.5.1-cu124-precxx11-linux-x86_64/0.35.1-libdjl_torch.so");
        assertRefused(
                Map.of(),
                "has no cuda_runtime_api.h",
                "--djl",
                djl.toString(),
                "--torch",
                torch.toString(),
                "--cuda-include",
                dir.resolve("nowhere").toString(),
                "--print-install-path");
    }

    /** Opt-in: the patch steps on a real DJL v0.35.1 checkout ({@code -Ddjl.source=DIR}; the docs say how). */
    @Test
    void realDjlSourcesPatchCleanly(@TempDir Path dir) throws Exception {
        String source = System.getProperty("djl.source", System.getenv("DJL_SOURCE"));
        Assumptions.assumeTrue(source != null && Files.isDirectory(Path.of(source)), "no -Ddjl.source checkout");
        Path torch = Scripts.fakeLibtorch(dir.resolve("torch"), "2.11.0", null, false, null);
        Path work = dir.resolve("work");
        Scripts.Result r = Scripts.script(
                "build-djl-jni.sh",
                Map.of(),
                "--djl",
                source,
                "--torch",
                torch.toString(),
                "--flavor",
                "cpu",
                "--patch-only",
                "--work",
                work.toString());
        assertThat(r.exit()).as(r.output()).isZero();
        String patches = Files.readString(work.resolve("build-report.json"));
        assertThat(patches)
                .contains(
                        "ai_djl_pytorch_jni_PyTorchLibrary_torch_creation.cc:1",
                        "ai_djl_pytorch_jni_PyTorchLibrary_torch_other.cc:3",
                        "legacy-profiler");
        assertThat(Files.readString(work.resolve("include/ai_djl_pytorch_jni_PyTorchLibrary.h"))
                        .split("JNIEXPORT"))
                .hasSizeGreaterThan(260);
    }

    private static String installPath(Map<String, String> env, String... args) throws Exception {
        Scripts.Result r = Scripts.script("build-djl-jni.sh", env, args);
        assertThat(r.exit()).as(r.output()).isZero();
        return r.output().strip();
    }

    private static void assertRefused(Map<String, String> env, String message, String... args) throws Exception {
        Scripts.Result r = Scripts.script("build-djl-jni.sh", env, args);
        assertThat(r.exit()).as(r.output()).isEqualTo(2);
        assertThat(r.output()).contains(message);
    }
}
