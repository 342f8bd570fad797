package dev.vlm3d.engine.reward;

import java.util.Locale;

/**
 * The yes/no questions exactly as the released VLM3D guidance asks them ({@code prompt_type} 2, 6 and 5 of its
 * {@code mvdream_guidance.py}), with the user's prompt in place of {@code {contexts}}. The released strings join
 * their sentences with {@code " \n"}; the paper's supplementary prints the same questions flattened, and its
 * prompt B says "answer 'Yes' if both …" where the code says "only if BOTH …" (docs/paper-vs-code.md).
 */
public final class QuestionTemplates {

    /** prompt_type 2, the paper's selected content + geometry question (the released config's choice). */
    static final String SELECTED = "Carefully evaluate the provided images, which show multiple views of a single 3D "
            + "object. Does the underlying 3D object, considering all views together, meet all of the following "
            + "criteria simultaneously? \n"
            + "1. Content Match: The object corresponds to the description: %s. \n"
            + "2. Geometric Quality: Based on all views combined, the object appears geometrically sound and "
            + "consistent. There are no visible signs of major flaws such as multiple faces on one part "
            + "(Janus-faced issue), broken surfaces, intersecting geometry, or highly unrealistic polygonal facets "
            + "when considering the object from these different perspectives. \n"
            + "Strictly respond with only 'Yes' or 'No'.";

    /** prompt_type 6, the paper's prompt A: text alignment only. */
    static final String CONTENT_ONLY = "Carefully evaluate the provided images, which show multiple views of a "
            + "single 3D object. Does the underlying 3D object, considering all views together, correspond to the "
            + "description: '%s'? \n"
            + "Strictly respond with only 'Yes' or 'No'.";

    /** prompt_type 5, the paper's prompt B: simplified criteria. */
    static final String SIMPLIFIED = "Carefully evaluate the 3D object shown in the multiple input image views based "
            + "on the following criteria: \n"
            + "1. Content Match: Does the object strongly match the text description: %s? \n"
            + "2. Visual Plausibility: Does the object appear visually coherent and plausible across all views, "
            + "without major jarring artifacts or inconsistencies? \n"
            + "Considering both criteria, answer 'Yes' only if BOTH are reasonably met. Otherwise, answer 'No'. "
            + "Respond strictly with only 'Yes' or 'No'.";

    private QuestionTemplates() {}

    public static String question(RewardOptions.QuestionTemplate template, String prompt) {
        String format = switch (template) {
            case SELECTED -> SELECTED;
            case A -> CONTENT_ONLY;
            case B -> SIMPLIFIED;
        };
        return String.format(Locale.ROOT, format, prompt.strip());
    }
}
