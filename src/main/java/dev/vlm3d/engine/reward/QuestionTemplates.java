package dev.vlm3d.engine.reward;

/**
 * The yes/no questions of the VLM3D paper (supplementary, "Selected VLM Prompt" and "Example Prompt A/B"), with
 * {@code [text_description_here]} replaced by the user's prompt. The paper typesets the quotes around Yes/No as
 * typographic apostrophes (’Yes’); ASCII apostrophes are used here so the tokens are the ordinary BPE ones.
 */
public final class QuestionTemplates {

    static final String SELECTED = "Carefully evaluate the provided images, which show multiple views of a single 3D "
            + "object. Does the underlying 3D object, considering all views together, meet all of the following "
            + "criteria simultaneously? 1. Content Match: The object corresponds to the description: %s. "
            + "2. Geometric Quality: Based on all views combined, the object appears geometrically sound and "
            + "consistent. There are no visible signs of major flaws such as multiple faces on one part "
            + "(Janus-faced issue), broken surfaces, intersecting geometry, or highly unrealistic polygonal facets "
            + "when considering the object from these different perspectives. Strictly respond with only 'Yes' or "
            + "'No'.";

    static final String CONTENT_ONLY = "Carefully evaluate the provided images, which show multiple views of a "
            + "single 3D object. Does the underlying 3D object, considering all views together, correspond to the "
            + "description: '%s'? Strictly respond with only 'Yes' or 'No'.";

    static final String SIMPLIFIED = "Carefully evaluate the 3D object shown in the multiple input image views based "
            + "on the following criteria: 1. Content Match: Does the object strongly match the text description: %s? "
            + "2. Visual Plausibility: Does the object appear visually coherent and plausible across all views, "
            + "without major jarring artifacts or inconsistencies? Considering both criteria, answer 'Yes' if both "
            + "are reasonably met. Otherwise, answer 'No'.";

    private QuestionTemplates() {
    }

    public static String question(RewardOptions.QuestionTemplate template, String prompt) {
        String format = switch (template) {
            case SELECTED -> SELECTED;
            case A -> CONTENT_ONLY;
            case B -> SIMPLIFIED;
        };
        return String.format(java.util.Locale.ROOT, format, prompt.strip());
    }
}
