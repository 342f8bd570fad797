package dev.vlm3d.pipeline;

import dev.vlm3d.options.Preset;
import dev.vlm3d.worker.JobGenerator;
import dev.vlm3d.worker.JobGeneratorFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The engine behind the service's workers: every worker gets its own {@link Vlm3dJobGenerator} with the models
 * loaded once onto its device. Arrows point down: this package uses {@code worker}, {@code engine} and {@code models};
 * the API uses only its option and preset definitions.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(PipelineProperties.class)
public class PipelineConfiguration {

    private static final Logger log = LoggerFactory.getLogger(PipelineConfiguration.class);

    @Bean
    JobGeneratorFactory vlm3dGeneratorFactory(PipelineProperties properties) {
        ModelSettings settings = properties.settings();
        if (settings.vlmDir() == null && settings.diffusionDir() == null) {
            log.warn(
                    "vlm3d.models.vlm-dir and diffusion-dir are not set: workers will run the TINY RANDOM model set "
                            + "from {} (a pipeline demo; its assets do not show what real weights produce)",
                    settings.cacheDir());
        }
        return new JobGeneratorFactory() {
            // runs on the worker's own thread, which is also the thread that will run its steps
            @Override
            public JobGenerator create(String device) {
                CpuThreads.apply(properties.cpuThreads());
                return new Vlm3dJobGenerator(PipelineModels.load(settings, PipelineModels.device(device)));
            }

            /** The configured folders, shown in the workers' health so an operator sees what a pod uses. */
            @Override
            public Map<String, String> models() {
                Map<String, String> folders = new LinkedHashMap<>();
                if (settings.vlmDir() != null)
                    folders.put("vlm_dir", settings.vlmDir().toString());
                if (settings.diffusionDir() != null)
                    folders.put("diffusion_dir", settings.diffusionDir().toString());
                return folders;
            }
        };
    }

    /** {@code /actuator/info} says which models the workers of this instance run, and labels the tiny mode. */
    @Bean
    InfoContributor vlm3dModelsInfo(PipelineProperties properties) {
        return builder -> {
            ModelSettings s = properties.settings();
            Map<String, Object> models = new LinkedHashMap<>();
            boolean tiny = s.vlmDir() == null && s.diffusionDir() == null;
            models.put("mode", tiny ? "tiny-random" : "configured");
            if (tiny) {
                models.put(
                        "note",
                        "TINY RANDOM MODELS: no vlm3d.models.vlm-dir / diffusion-dir configured; assets show "
                                + "that the pipeline runs, not what real weights produce");
                models.put("cache_dir", s.cacheDir().toString());
            } else {
                models.put("vlm_dir", String.valueOf(s.vlmDir()));
                models.put("diffusion_dir", String.valueOf(s.diffusionDir()));
                if (s.sd21Dir() != null) {
                    models.put("sd21_dir", s.sd21Dir().toString());
                }
            }
            models.put("vlm_precision", s.vlmPrecision().name());
            models.put("diffusion_precision", s.diffusionType().name());
            models.put("presets", Preset.NAMES);
            builder.withDetail("models", models);
        };
    }
}
