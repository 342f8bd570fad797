package dev.vlm3d.engine.guidance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.vlm3d.models.mvdream.MultiViewUNet;
import dev.vlm3d.models.mvdream.MvDreamPipeline;
import dev.vlm3d.nn.HostArrays;
import dev.vlm3d.nn.Scalars;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One score-distillation step, exactly as MVDream-threestudio's {@code MultiviewDiffusionGuidance.forward}
 * (recon_loss branch) or threestudio's DreamFusion SDS computes it:
 *
 * <pre>
 * z0  = s·(μ + σ·ε_vae) of VAE(resize(rgb)·2 − 1)          (with gradient)
 * x_t = √ᾱ_t·z0 + √(1−ᾱ_t)·ε                                (no gradient from here on)
 * ε̂_c, ε̂_u = UNet([x_t, x_t], t, [cond, uncond], [cam, cam]);  ε̂ = ε̂_u + g·(ε̂_c − ε̂_u)
 * x0-reconstruction: x̂0 = x0(x_t, ε̂); k_group = (std x0(x_t, ε̂_c) + 1e-8)/(std x̂0 + 1e-8);
 *                    target = r·k·x̂0 + (1−r)·x̂0
 * DreamFusion:       target = z0 − (1−ᾱ_t)·(ε̂ − ε)
 * loss = ½·Σ(z0 − target)² / B,  so ∂loss/∂z0 = (z0 − target)/B
 * </pre>
 *
 * The UNet runs with autograd off; only the path rgb → resize → VAE encoder → z0 is recorded.
 */
public final class ScoreDistillation {

    /** Outputs of one step. {@code loss} lives in the renders' manager; the diagnostics are detached. */
    public record Step(NDArray loss, int timestep, Map<String, NDArray> diagnostics) {}

    private final MvDreamPipeline pipeline;
    private final NoiseSchedule schedule;
    private final SdsOptions options;

    public ScoreDistillation(MvDreamPipeline pipeline, NoiseSchedule schedule, SdsOptions options) {
        this.pipeline = pipeline;
        this.schedule = schedule;
        this.options = options;
    }

    public MvDreamPipeline pipeline() {
        return pipeline;
    }

    public NoiseSchedule schedule() {
        return schedule;
    }

    public SdsOptions options() {
        return options;
    }

    /** Views per multi-view group the UNet is called with (1 for a UNet without camera embedding). */
    public int viewsPerGroup() {
        return pipeline.unet().hasCameraEmbedding() ? options.viewsPerGroup() : 1;
    }

    /** The side the renders are resized to: the options' image size, else the folder's. */
    public int imageSize() {
        return options.imageSize() > 0 ? options.imageSize() : pipeline.imageSize();
    }

    /** The latent shape [B, C, h, w] for B renders. */
    public Shape latentShape(int batch) {
        int side = imageSize() / pipeline.vae().config().downscaleFactor();
        return new Shape(batch, pipeline.vae().config().latentChannels(), side, side);
    }

    /** The inclusive timestep range at an optimizer step: int(T·pmin(step)), int(T·pmax(step)). */
    public int[] timestepRange(long globalStep) {
        return timestepRange(globalStep, 1.0);
    }

    /**
     * The timestep bounds at {@code globalStep} with the annealing horizon stretched by {@code horizonScale}: the
     * official ramps end at step 8000 of a 10,000-step run, so a shorter run scales them to keep the same shape.
     */
    public int[] timestepRange(long globalStep, double horizonScale) {
        int steps = schedule.numTrainTimesteps();
        StepRamp min = horizonScale == 1.0
                ? options.minStepPercent()
                : options.minStepPercent().stretched(horizonScale);
        StepRamp max = horizonScale == 1.0
                ? options.maxStepPercent()
                : options.maxStepPercent().stretched(horizonScale);
        return new int[] {min.truncatedAt(globalStep, steps), max.truncatedAt(globalStep, steps)};
    }

    /** last_hidden_state [1, L, C] of one prompt, computed without a graph. */
    public NDArray encodeText(String prompt, NDManager manager) {
        long[] ids = pipeline.tokenizer().encode(prompt).ids();
        return withoutGrad(() -> {
            NDArray out;
            try (NDScope scope = new NDScope()) {
                NDArray idArray = HostArrays.create(manager, ids, new Shape(1, ids.length));
                out = pipeline.textEncoder().forward(idArray);
                NDScope.unregister(out);
            }
            out.attach(manager);
            return out;
        });
    }

    /**
     * Runs one step. Constants on the gradient path are libtorch-owned tensors ({@link Scalars}), and {@code epsVae}
     * must stay open until the caller's backward pass.
     *
     * @param rgb     renders [B, H, W, 3] in [0, 1], part of the caller's graph
     * @param c2w     B row-major 4×4 camera-to-world matrices (threestudio convention); null for a UNet without
     *                camera embedding
     * @param t       the shared timestep
     * @param eps     diffusion noise, latent shape
     * @param epsVae  posterior noise, latent shape
     * @param cond    prompt embedding [1, L, C] (or [L, C])
     * @param uncond  negative-prompt embedding, same shape
     */
    public Step step(NDArray rgb, float[] c2w, int t, NDArray eps, NDArray epsVae, NDArray cond, NDArray uncond) {
        Shape rs = rgb.getShape();
        int batch = (int) rs.get(0);
        int views = viewsPerGroup();
        if (options.form() == SdsOptions.Form.X0_RECONSTRUCTION && batch % views != 0) {
            throw new IllegalArgumentException(batch + " renders do not split into groups of " + views + " views");
        }
        NDManager stepManager = rgb.getManager();
        Map<String, NDArray> diag = new LinkedHashMap<>();
        NDArray loss;
        try (NDScope scope = new NDScope()) {
            int size = imageSize();
            NDArray image = BilinearResize.resize(rgb.transpose(0, 3, 1, 2), size, size);
            NDArray x = image.mul(Scalars.like(image, 2)).sub(1);
            NDArray z0 = pipeline.vae()
                    .posterior(x)
                    .sample(epsVae)
                    .mul(Scalars.like(image, pipeline.vae().config().scalingFactor()));
            NDArray target =
                    withoutGrad(() -> target(z0.stopGradient(), t, eps, c2w, cond, uncond, batch, views, diag));
            loss = z0.sub(target).square().sum().mul(Scalars.like(z0, 0.5 / batch));
            diag.put("latents", z0.stopGradient());
            NDArray gradLatents =
                    withoutGrad(() -> z0.stopGradient().sub(target).div(batch));
            diag.put("grad_latents", gradLatents);
            diag.put("grad_norm", withoutGrad(() -> gradLatents.norm()));
            NDScope.unregister(loss);
            diag.values().forEach(NDScope::unregister);
        }
        loss.attach(stepManager);
        return new Step(loss, t, diag);
    }

    private NDArray target(
            NDArray z0,
            int t,
            NDArray eps,
            float[] c2w,
            NDArray cond,
            NDArray uncond,
            int batch,
            int views,
            Map<String, NDArray> diag) {
        NDManager m = z0.getManager();
        NDArray noisy = z0.mul(schedule.sqrtAlphaCumprod(t)).add(eps.mul(schedule.sqrtOneMinusAlphaCumprod(t)));
        diag.put("latents_noisy", noisy);
        MultiViewUNet unet = pipeline.unet();
        DataType unetType = unet.dataType();
        NDArray camera = null;
        if (unet.hasCameraEmbedding()) {
            if (c2w == null || c2w.length != batch * 16) {
                throw new IllegalArgumentException("the MVDream UNet needs one 4x4 camera per render");
            }
            NDArray rows = HostArrays.create(m, CameraCondition.rows(c2w), new Shape(batch, 16));
            camera = NDArrays.concat(new NDList(rows, rows), 0);
            diag.put("camera_2b", camera);
        }
        NDArray context = NDArrays.concat(new NDList(repeatRows(cond, batch), repeatRows(uncond, batch)), 0);
        long[] steps = new long[2 * batch];
        java.util.Arrays.fill(steps, t);
        NDArray input = NDArrays.concat(new NDList(noisy, noisy), 0);
        NDArray out = unet.forward(
                        input.toType(unetType, false),
                        HostArrays.create(m, steps),
                        context.toType(unetType, false),
                        camera,
                        views,
                        null)
                .toType(DataType.FLOAT32, false);
        NDArray text = out.get("0:" + batch);
        NDArray unc = out.get(batch + ":");
        diag.put("noise_pred_text", text);
        diag.put("noise_pred_uncond", unc);
        NDArray cfg = unc.add(text.sub(unc).mul((float) options.guidanceScale()));
        diag.put("noise_pred_cfg", cfg);
        if (options.form() == SdsOptions.Form.DREAMFUSION) {
            float w = (float) (1.0 - schedule.alphaCumprod(t));
            NDArray grad = cfg.sub(eps).mul(w);
            grad = NDArrays.where(grad.isNaN(), grad.zerosLike(), grad);
            return z0.sub(grad);
        }
        NDArray recon = predictX0(noisy, cfg, t);
        NDArray reconText = predictX0(noisy, text, t);
        diag.put("latents_recon", recon);
        diag.put("latents_recon_nocfg", reconText);
        int groups = batch / views;
        NDArray flat = recon.reshape(groups, -1);
        NDArray factor = unbiasedStd(reconText.reshape(groups, -1))
                .add(1e-8f)
                .div(unbiasedStd(flat).add(1e-8f));
        diag.put("rescale_factor", factor.reshape(groups));
        float r = (float) options.reconStdRescale();
        NDArray target = flat.mul(factor).mul(r).add(flat.mul(1 - r)).reshape(recon.getShape());
        diag.put("latents_target", target);
        return target;
    }

    private NDArray predictX0(NDArray noisy, NDArray noise, int t) {
        return noisy.mul(schedule.sqrtRecipAlphaCumprod(t)).sub(noise.mul(schedule.sqrtRecipm1AlphaCumprod(t)));
    }

    /** Per-row unbiased (N−1) standard deviation of [G, N], as torch.std; shape [G, 1]. */
    private static NDArray unbiasedStd(NDArray x) {
        long n = x.getShape().get(1);
        NDArray centered = x.sub(x.mean(new int[] {1}, true));
        return centered.square().sum(new int[] {1}, true).div(n - 1).sqrt();
    }

    private static NDArray repeatRows(NDArray embedding, int batch) {
        Shape s = embedding.getShape();
        NDArray one = s.dimension() == 2 ? embedding.reshape(1, s.get(0), s.get(1)) : embedding;
        return one.repeat(0, batch);
    }

    static <T> T withoutGrad(Supplier<T> body) {
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(previous);
        }
    }
}
