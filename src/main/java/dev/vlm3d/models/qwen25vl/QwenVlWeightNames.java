package dev.vlm3d.models.qwen25vl;

/**
 * The one place where checkpoint tensor names are mapped. The model asks for canonical (hub "legacy") names:
 * {@code visual.*}, {@code model.embed_tokens/layers/norm.*}, {@code lm_head.weight}. A transformers-5
 * {@code state_dict} stores {@code model.visual.*} and {@code model.language_model.*} instead; both map here.
 */
public final class QwenVlWeightNames {

    private QwenVlWeightNames() {}

    /** Canonical name of a stored tensor name (identity for hub names). */
    public static String canonical(String stored) {
        if (stored.startsWith("model.visual.")) {
            return stored.substring("model.".length());
        }
        if (stored.startsWith("model.language_model.")) {
            return "model." + stored.substring("model.language_model.".length());
        }
        return stored;
    }

    public static String visionBlock(int block, String leaf) {
        return "visual.blocks." + block + "." + leaf;
    }

    public static String textLayer(int layer, String leaf) {
        return "model.layers." + layer + "." + leaf;
    }

    public static final String PATCH_EMBED = "visual.patch_embed.proj.weight";
    public static final String MERGER_NORM = "visual.merger.ln_q.weight";
    public static final String MERGER_FC1 = "visual.merger.mlp.0";
    public static final String MERGER_FC2 = "visual.merger.mlp.2";
    public static final String EMBED_TOKENS = "model.embed_tokens.weight";
    public static final String FINAL_NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";
}
