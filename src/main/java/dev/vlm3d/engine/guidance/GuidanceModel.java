package dev.vlm3d.engine.guidance;

/**
 * A loaded score-distillation backbone (MVDream or Stable Diffusion 2.1). Loaded once per worker and shared by its
 * jobs; {@link #forPrompt} computes and caches what depends on the prompt (text embeddings) for one job.
 */
public interface GuidanceModel extends AutoCloseable {

    Guidance forPrompt(String prompt, String negativePrompt);

    @Override
    void close();
}
