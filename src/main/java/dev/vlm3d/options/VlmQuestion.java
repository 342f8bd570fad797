package dev.vlm3d.options;

import java.util.Locale;

/** Which of the paper's question templates the VLM reward asks (the texts live in the engine's reward). */
public enum VlmQuestion {
    /** The selected content + geometry question: the paper's default. */
    SELECTED,
    /** Prompt A: content only. */
    A,
    /** Prompt B: simplified criteria. */
    B;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
