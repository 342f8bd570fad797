package dev.vlm3d.pipeline;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.vlm3d.options.GenerationOptions;
import java.util.Map;

/** {@code run.json}: what produced an asset (prompt, seed, effective options, which models and in which mode). */
public final class RunMetadata {

    public static final String NAME = "run.json";

    private RunMetadata() {}

    public static String json(
            String prompt, String negativePrompt, long seed, GenerationOptions options, PipelineModels models) {
        JsonObject root = new JsonObject();
        root.addProperty("prompt", prompt);
        if (negativePrompt != null) {
            root.addProperty("negative_prompt", negativePrompt);
        }
        root.addProperty("seed", seed);
        root.addProperty("preset", options.preset().wireName());
        root.addProperty("steps", options.steps());
        JsonObject opts = new JsonObject();
        for (Map.Entry<String, Object> e : options.toMap().entrySet()) {
            if (e.getValue() instanceof Number n) {
                opts.addProperty(e.getKey(), n);
            } else if (e.getValue() instanceof Boolean b) {
                opts.addProperty(e.getKey(), b);
            } else {
                opts.addProperty(e.getKey(), String.valueOf(e.getValue()));
            }
        }
        root.add("options", opts);
        root.add("models", describe(models));
        return new GsonBuilder().setPrettyPrinting().create().toJson(root);
    }

    static JsonObject describe(PipelineModels models) {
        JsonObject m = new JsonObject();
        ModelSettings.ResolvedModels folders = models.folders();
        m.addProperty("mode", folders.tiny() ? "tiny-random" : "configured");
        m.addProperty("label", folders.modeLabel());
        m.addProperty("vlm_dir", folders.vlmDir().toString());
        m.addProperty("diffusion_dir", folders.diffusionDir().toString());
        if (folders.sd21Dir() != null) {
            m.addProperty("sd21_dir", folders.sd21Dir().toString());
        }
        m.addProperty("device", models.device().toString());
        m.addProperty(
                "parameters",
                models.estimate().vlmParameters() + models.estimate().diffusionParameters());
        return m;
    }
}
