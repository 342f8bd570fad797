package dev.vlm3d.engine.guidance;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The DDPM training schedule a latent diffusion model was trained with ("scaled_linear": betas are the squares of a
 * linspace between √β_start and √β_end). Everything is derived in double and only then rounded to float, as the
 * reference registers its buffers; deriving the square roots from the float ᾱ would differ in the last bits.
 */
public final class NoiseSchedule {

    private final double[] betas;
    private final double[] alphasCumprod;

    public NoiseSchedule(double betaStart, double betaEnd, int numTrainTimesteps, String betaSchedule) {
        betas = new double[numTrainTimesteps];
        switch (betaSchedule) {
            case "scaled_linear" -> {
                double[] roots = linspace(Math.sqrt(betaStart), Math.sqrt(betaEnd), numTrainTimesteps);
                for (int i = 0; i < numTrainTimesteps; i++) {
                    betas[i] = roots[i] * roots[i];
                }
            }
            case "linear" ->
                System.arraycopy(linspace(betaStart, betaEnd, numTrainTimesteps), 0, betas, 0, numTrainTimesteps);
            default -> throw new IllegalArgumentException("unsupported beta_schedule " + betaSchedule);
        }
        alphasCumprod = new double[numTrainTimesteps];
        double prod = 1.0;
        for (int i = 0; i < numTrainTimesteps; i++) {
            prod *= 1.0 - betas[i];
            alphasCumprod[i] = prod;
        }
    }

    /** Reads beta_start, beta_end, num_train_timesteps and beta_schedule from a diffusers scheduler config. */
    public static NoiseSchedule fromSchedulerConfig(Path schedulerConfigJson) {
        try {
            JsonObject c = JsonParser.parseString(Files.readString(schedulerConfigJson))
                    .getAsJsonObject();
            String prediction =
                    c.has("prediction_type") ? c.get("prediction_type").getAsString() : "epsilon";
            if (!prediction.equals("epsilon")) {
                throw new IllegalArgumentException(
                        "only epsilon-prediction models are supported, config says " + prediction);
            }
            return new NoiseSchedule(
                    c.get("beta_start").getAsDouble(),
                    c.get("beta_end").getAsDouble(),
                    c.get("num_train_timesteps").getAsInt(),
                    c.has("beta_schedule") ? c.get("beta_schedule").getAsString() : "scaled_linear");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + schedulerConfigJson, e);
        }
    }

    /** torch.linspace in float64: the first half counts up from start, the second half down from end. */
    private static double[] linspace(double start, double end, int n) {
        double[] out = new double[n];
        if (n == 1) {
            out[0] = start;
            return out;
        }
        double step = (end - start) / (n - 1);
        int half = n / 2;
        for (int i = 0; i < n; i++) {
            out[i] = i < half ? start + step * i : end - step * (n - 1 - i);
        }
        return out;
    }

    public int numTrainTimesteps() {
        return betas.length;
    }

    public double beta(int t) {
        return betas[t];
    }

    public double alphaCumprod(int t) {
        return alphasCumprod[t];
    }

    public float sqrtAlphaCumprod(int t) {
        return (float) Math.sqrt(alphasCumprod[t]);
    }

    public float sqrtOneMinusAlphaCumprod(int t) {
        return (float) Math.sqrt(1.0 - alphasCumprod[t]);
    }

    public float sqrtRecipAlphaCumprod(int t) {
        return (float) Math.sqrt(1.0 / alphasCumprod[t]);
    }

    public float sqrtRecipm1AlphaCumprod(int t) {
        return (float) Math.sqrt(1.0 / alphasCumprod[t] - 1.0);
    }

    /** The weight SDS implicitly puts on ε̂ − ε when it regresses x0: σ_t/α_t = √((1−ᾱ)/ᾱ). */
    public float reconstructionWeight(int t) {
        return (float) Math.sqrt((1.0 - alphasCumprod[t]) / alphasCumprod[t]);
    }
}
