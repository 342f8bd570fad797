package dev.vlm3d.engine.reward;

/**
 * Per-job reward choices.
 *
 * @param question   which question template of the paper to ask
 * @param singleView give the VLM only the first view (the paper's ablation) instead of all views
 * @param form       logit difference (z_yes − z_no, the paper) or probability of "Yes"
 */
public record RewardOptions(QuestionTemplate question, boolean singleView, Form form) {

    public enum Form { LOGIT_DIFFERENCE, PROBABILITY }

    public enum QuestionTemplate {
        /** The selected content + geometry question (the paper's default). */
        SELECTED,
        /** Prompt A: content only. */
        A,
        /** Prompt B: simplified criteria. */
        B
    }

    public static RewardOptions defaults() {
        return new RewardOptions(QuestionTemplate.SELECTED, false, Form.LOGIT_DIFFERENCE);
    }
}
