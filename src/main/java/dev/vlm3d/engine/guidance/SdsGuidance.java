package dev.vlm3d.engine.guidance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vlm3d.nn.HostArrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The SDS term of one job: the prompt and negative-prompt embeddings, computed once at creation, and a noise source.
 * {@link #compute} must run on the thread that holds the job's GradientCollector; the returned loss lives in the
 * renders' manager and its gradient reaches the renders through the VAE encoder only.
 */
public final class SdsGuidance implements Guidance {

    private final ScoreDistillation sds;
    private final NDManager jobManager;
    private final NDArray cond;
    private final NDArray uncond;
    private final SdsNoise noise;
    private double timestepHorizonScale = 1.0;

    SdsGuidance(ScoreDistillation sds, NDManager jobManager, String prompt, String negativePrompt, SdsNoise noise) {
        this.sds = sds;
        this.jobManager = jobManager;
        this.noise = noise;
        try {
            this.cond = sds.encodeText(prompt, jobManager);
            this.uncond = sds.encodeText(negativePrompt, jobManager);
        } catch (RuntimeException e) {
            jobManager.close();
            throw e;
        }
    }

    /**
     * Stretches the timestep annealing of this job by {@code scale} (1 = the configured absolute horizon). Runs on a
     * shorter schedule than the paper's use {@code steps / 10000} so that t still anneals down within the run.
     */
    public SdsGuidance withTimestepHorizonScale(double scale) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("timestep horizon scale must be positive, was " + scale);
        }
        this.timestepHorizonScale = scale;
        return this;
    }

    public NDArray promptEmbedding() {
        return cond;
    }

    public NDArray negativePromptEmbedding() {
        return uncond;
    }

    @Override
    public GuidanceResult compute(GuidanceInput input) {
        noise.startStep(input.globalStep());
        NDArray rgb = input.rgb();
        int batch = (int) rgb.getShape().get(0);
        Shape latent = sds.latentShape(batch);
        NDManager m = rgb.getManager();
        int n = (int) latent.size();
        // the backward pass reads the posterior noise, so it must be libtorch-owned (see Scalars)
        NDArray epsVae = HostArrays.create(m, noise.gaussian(n), latent);
        int[] range = sds.timestepRange(input.globalStep(), timestepHorizonScale);
        int t = noise.timestep(range[0], range[1]);
        NDArray eps = HostArrays.create(m, noise.gaussian(n), latent);
        float[] c2w = sds.pipeline().unet().hasCameraEmbedding() ? input.c2w().toFloatArray() : null;
        ScoreDistillation.Step step = sds.step(rgb, c2w, t, eps, epsVae, cond, uncond);
        Map<String, Double> stats = new LinkedHashMap<>();
        stats.put("timestep", (double) t);
        stats.put("min_step", (double) range[0]);
        stats.put("max_step", (double) range[1]);
        stats.put("grad_norm", (double) step.diagnostics().get("grad_norm").getFloat());
        step.diagnostics().values().forEach(NDArray::close);
        eps.close();
        return new GuidanceResult(step.loss(), step.loss().getFloat(), stats);
    }

    /** Arrays held by this job (the two embeddings); constant across steps unless something leaks. */
    int heldArrays() {
        return jobManager.getManagedArrays().size();
    }

    @Override
    public void close() {
        jobManager.close();
    }
}
