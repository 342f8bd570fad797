package dev.vlm3d.worker;

import java.util.Map;

/**
 * Creates the generator of one worker for one device ("cpu", "gpu0", ...). The engine issue provides this bean;
 * when no bean of this type exists, workers do not start (see {@link WorkerPool}).
 */
@FunctionalInterface
public interface JobGeneratorFactory {

    JobGenerator create(String device) throws Exception;

    /**
     * What the generators load, as the workers' health shows it (e.g. {@code vlm_dir}, {@code diffusion_dir}: the
     * configured model folders); empty when there is nothing to say.
     */
    default Map<String, String> models() {
        return Map.of();
    }
}
