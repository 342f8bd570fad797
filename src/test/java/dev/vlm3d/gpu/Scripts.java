package dev.vlm3d.gpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the tools/gpu scripts and child JVMs for the tests of this package. */
final class Scripts {

    static final Path TOOLS = Path.of("tools", "gpu");

    /** Exit code and combined output of a finished process. */
    record Result(int exit, String output) {}

    private Scripts() {}

    static Result run(List<String> command, Map<String, String> env, long timeoutSeconds)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment()
                .keySet()
                .removeIf(k -> k.startsWith("PYTORCH_") || k.startsWith("DJL_") || k.equals("ENGINE_CACHE_DIR"));
        builder.environment().putAll(env);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("timed out: " + command + "\n" + output);
        }
        return new Result(process.exitValue(), output);
    }

    static Result script(String name, Map<String, String> env, String... args) throws Exception {
        List<String> command =
                new ArrayList<>(List.of("bash", TOOLS.resolve(name).toString()));
        command.addAll(List.of(args));
        return run(command, env, 600);
    }

    /**
     * A stand-in for a DJL checkout with the files the scripts read, holding our own minimal C++ and Java (never
     * DJL's code): the version file, the CMake source list, units with the constructs the patches rewrite, the
     * utils header and a PyTorchLibrary with one native method.
     */
    static Path syntheticDjlCheckout(Path root, String djlVersion) throws IOException {
        Path nat = root.resolve("engines/pytorch/pytorch-native");
        write(root.resolve("gradle/libs.versions.toml"), "[versions]\ndjl = \"" + djlVersion + "\"\n");
        write(nat.resolve("CMakeLists.txt"), """
                set(SOURCE_FILES
                    "src/main/native/ai_djl_pytorch_jni_PyTorchLibrary_system.cc"
                    "src/main/native/ai_djl_pytorch_jni_PyTorchLibrary_inference.cc"
                    "src/main/native/ai_djl_pytorch_jni_PyTorchLibrary_torch_creation.cc")
                """);
        write(nat.resolve("src/main/native/ai_djl_pytorch_jni_PyTorchLibrary_system.cc"), """
                #include <torch/torch.h>
                using namespace torch::autograd::profiler;

                JNIEXPORT jboolean JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIsGradMode(JNIEnv* env, jobject jthis) {
                  return true;
                }

                // the code snippet is copied from torch/csrc/autograd/profiler_legacy.cpp
                void writeEvents(LegacyEvent* e) {}
                JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchStartProfile(
                    JNIEnv* env, jobject jthis, jboolean a, jboolean b, jboolean c) {
                  enableProfilerLegacy();
                }
                JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchStopProfile(
                    JNIEnv* env, jobject jthis, jstring f) {
                  disableProfilerLegacy();
                }

                JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchCudaEmptyCache(JNIEnv* env, jobject jthis) {
                }
                """);
        write(nat.resolve("src/main/native/ai_djl_pytorch_jni_PyTorchLibrary_torch_creation.cc"), """
                auto dtype = c10::optional<int>(1);
                auto none = c10::nullopt;
                """);
        write(nat.resolve("src/main/native/ai_djl_pytorch_jni_PyTorchLibrary_inference.cc"), "int inference = 0;\n");
        write(nat.resolve("src/main/native/djl_pytorch_utils.h"), "#pragma once\n");
        write(root.resolve("api/src/main/native/djl/utils.h"), "#pragma once\n");
        write(root.resolve("engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java"), """
                package ai.djl.pytorch.jni;

                public final class PyTorchLibrary {
                    native long torchSum(long handle);
                }
                """);
        return root;
    }

    /**
     * A libtorch folder layout (include/ with version.h, lib/ with the three libraries the script requires) for
     * version {@code x.y.z}; {@code libc10} may be a real library (its symbols tell the C++ ABI) or null for an empty
     * file.
     */
    static Path fakeLibtorch(Path root, String version, Path libc10, boolean legacyProfiler, String cuda)
            throws IOException {
        String[] v = version.split("\\.");
        write(
                root.resolve("include/torch/csrc/api/include/torch/version.h"),
                "#define TORCH_VERSION_MAJOR " + v[0] + "\n#define TORCH_VERSION_MINOR " + v[1]
                        + "\n#define TORCH_VERSION_PATCH " + v[2] + "\n");
        if (legacyProfiler) {
            write(root.resolve("include/torch/csrc/autograd/profiler_legacy.h"), "void enableProfilerLegacy();\n");
        }
        Files.createDirectories(root.resolve("lib"));
        write(root.resolve("lib/libtorch.so"), "");
        write(root.resolve("lib/libtorch_cpu.so"), "");
        if (libc10 != null) {
            Files.copy(libc10, root.resolve("lib/libc10.so"));
        } else {
            write(root.resolve("lib/libc10.so"), "");
        }
        if (cuda != null) {
            write(root.resolve("lib/libtorch_cuda.so"), "");
            write(root.resolve("version.py"), "__version__ = '" + version + "+cu'\ncuda = '" + cuda + "'\n");
        }
        return root;
    }

    static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
