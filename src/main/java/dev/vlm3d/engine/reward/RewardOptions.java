package dev.vlm3d.engine.reward;

/**
 * Per-job reward choices.
 *
 * @param question   which question template of the paper to ask
 * @param singleView give the VLM only the first view (the paper's ablation) instead of all views
 * @param form       logit difference (z_yes − z_no, the paper and the released default) or probability form
 *                   (p_yes − p_no = 2σ(z_yes − z_no) − 1, the released {@code qwen_prob_loss})
 */
public record RewardOptions(QuestionTemplate question, boolean singleView, Form form) {

    public enum Form {
        LOGIT_DIFFERENCE,
        PROBABILITY
    }

    public enum QuestionTemplate {
        /** The selected content + geometry question (the paper's default; released prompt_type 2). */
        SELECTED,
        /** Prompt A: content only (released prompt_type 6). */
        A,
        /** Prompt B: simplified criteria (released prompt_type 5). */
        B
    }

    public static RewardOptions defaults() {
        return new RewardOptions(QuestionTemplate.SELECTED, false, Form.LOGIT_DIFFERENCE);
    }
}
