package dev.vlm3d.engine.reward;

/**
 * A loaded differentiable reward (Qwen2.5-VL). Loaded once per worker and shared by its jobs; {@link #forPrompt}
 * prepares what depends on the prompt (the tokenized question) for one job.
 */
public interface RewardModel extends AutoCloseable {

    Reward forPrompt(String prompt, RewardOptions options);

    @Override
    void close();
}
