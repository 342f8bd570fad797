package dev.vlm3d.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.vlm3d.models.TinyModelSet;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up checks of the model folders: files, architecture, memory; and the tiny default. */
class ModelCheckTest {

    private static final Path CACHE = Path.of("target/vlm3d-cache").toAbsolutePath();

    @Test
    void theTinySetPassesAndIsLabelled() {
        ModelSettings settings = new ModelSettings(null, null, null, CACHE, null, null);
        ModelSettings.ResolvedModels models = settings.resolve();
        assertThat(models.tiny()).isTrue();
        assertThat(models.modeLabel()).contains("TINY RANDOM");
        ModelCheck.Estimate estimate = ModelCheck.check(models, settings, Device.cpu());
        assertThat(estimate.vlmParameters()).isPositive();
        assertThat(estimate.diffusionParameters()).isPositive();
        assertThat(estimate.weightBytes()).isEqualTo(4 * (estimate.vlmParameters() + estimate.diffusionParameters()));
        ModelSettings half = new ModelSettings(null, null, null, CACHE, QwenVlPrecision.FP16_WEIGHTS, DataType.FLOAT16);
        assertThat(ModelCheck.check(half.resolve(), half, Device.cpu()).weightBytes())
                .isEqualTo(estimate.weightBytes() / 2);
    }

    @Test
    void configuredFoldersAreUsedAsGivenAndHalfAConfigurationIsRefused() {
        TinyModelSet.Folders tiny = TinyModelSet.ensure(CACHE);
        ModelSettings configured = new ModelSettings(tiny.vlmDir(), tiny.diffusionDir(), null, CACHE, null, null);
        assertThat(configured.resolve().tiny()).isFalse();
        assertThatThrownBy(() -> new ModelSettings(tiny.vlmDir(), null, null, CACHE, null, null).resolve())
                .isInstanceOf(ModelConfigurationException.class)
                .hasMessageContaining("diffusion-dir");
    }

    @Test
    void wrongArchitecturesAndMissingFilesAreNamed(@TempDir Path dir) throws IOException {
        TinyModelSet.Folders tiny = TinyModelSet.ensure(CACHE);
        Path vlm = copy(tiny.vlmDir(), dir.resolve("vlm"));
        Path config = vlm.resolve("config.json");
        Files.writeString(
                config,
                Files.readString(config)
                        .replace("Qwen2_5_VLForConditionalGeneration", "LlamaForCausalLM")
                        .replace("\"qwen2_5_vl\"", "\"llama\""));
        assertThatThrownBy(() -> ModelCheck.checkVlm(vlm))
                .isInstanceOf(ModelConfigurationException.class)
                .hasMessageContaining("LlamaForCausalLM")
                .hasMessageContaining("Qwen2_5_VLForConditionalGeneration");

        Path diffusion = copy(tiny.diffusionDir(), dir.resolve("diffusion"));
        // an MVDream folder given where Stable Diffusion 2.1 is expected
        assertThatThrownBy(() -> ModelCheck.checkDiffusion(diffusion, ModelCheck.SD_UNET, "vlm3d.models.sd21-dir"))
                .hasMessageContaining("MultiViewUNetModel")
                .hasMessageContaining("UNet2DConditionModel");
        Files.delete(diffusion.resolve("vae/config.json"));
        assertThatThrownBy(() ->
                        ModelCheck.checkDiffusion(diffusion, ModelCheck.MVDREAM_UNET, "vlm3d.models.diffusion-dir"))
                .hasMessageContaining("missing")
                .hasMessageContaining("vae/config.json");
    }

    @Test
    void aDeviceWithoutRoomForTheWeightsIsRefusedWithTheNumbers() {
        long ram = ModelCheck.availableRam();
        assertThat(ram).isPositive();
        ModelCheck.Estimate tooBig = new ModelCheck.Estimate(8_292_166_656L, 0, ram + (1L << 30));
        assertThatThrownBy(() -> ModelCheck.checkMemory(tooBig, Device.cpu()))
                .isInstanceOf(ModelConfigurationException.class)
                .hasMessageContaining("not enough memory")
                .hasMessageContaining("FP16_WEIGHTS");
        ModelCheck.checkMemory(new ModelCheck.Estimate(1000, 1000, 8000), Device.cpu());
    }

    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }
}
