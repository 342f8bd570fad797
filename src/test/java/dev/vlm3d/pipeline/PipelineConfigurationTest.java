package dev.vlm3d.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.vlm3d.worker.JobGeneratorFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The folders the pipeline's generator factory reports for the workers' health (no model is loaded here). */
class PipelineConfigurationTest {

    private static JobGeneratorFactory factory(Path vlm, Path diffusion) {
        return new PipelineConfiguration()
                .vlm3dGeneratorFactory(
                        new PipelineProperties(vlm, diffusion, null, Path.of("target/vlm3d-cache"), null, null, null));
    }

    @Test
    void configuredFoldersAreReportedInOrder() {
        assertThat(factory(Path.of("/models/qwen"), Path.of("/models/mvdream")).models())
                .containsExactly(entry("vlm_dir", "/models/qwen"), entry("diffusion_dir", "/models/mvdream"));
    }

    @Test
    void theTinyModelsReportNoFolders() {
        assertThat(factory(null, null).models()).isEmpty();
    }
}
