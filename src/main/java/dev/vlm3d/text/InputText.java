package dev.vlm3d.text;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rules for text a client sends (prompts, key names), shared by the API, which refuses bad text when it arrives,
 * and the engine, which must never see it. Plain Java on purpose: the API depends on this package, not on the
 * engine, and the engine on nothing of the API's.
 */
public final class InputText {

    /**
     * A chat-template or tokenizer control token such as {@code <|im_end|>}, {@code <|vision_start|>} (Qwen2.5-VL)
     * or {@code <|endoftext|>} (CLIP): a tokenizer reads these as real control tokens, which would break (or hijack)
     * the VLM's chat template.
     */
    public static final Pattern CONTROL_TOKEN = Pattern.compile("<\\|[^|<>\\s]+\\|>");

    private InputText() {}

    /** The first control token in {@code text}, or null when there is none. */
    public static String controlToken(String text) {
        Matcher m = CONTROL_TOKEN.matcher(text);
        return m.find() ? m.group() : null;
    }

    /**
     * Why {@code text} cannot be stored as it is, or null when it can: an unpaired surrogate (not a character at
     * all; the database driver would store '?'), NUL and other C0/C1 control characters except tab and line feed,
     * DEL, the bidirectional-override and -isolate controls (they make text display differently from what it
     * is), the Unicode line/paragraph separators, the byte-order mark and noncharacters.
     */
    public static String forbiddenCharacter(String text) {
        for (int i = 0; i < text.length(); ) {
            char c = text.charAt(i);
            int cp;
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    return "an unpaired surrogate U+" + hex(c) + " at index " + i;
                }
                cp = Character.toCodePoint(c, text.charAt(i + 1));
            } else if (Character.isLowSurrogate(c)) {
                return "an unpaired surrogate U+" + hex(c) + " at index " + i;
            } else {
                cp = c;
            }
            String what = describe(cp);
            if (what != null) return what + " U+" + hex(cp) + " at index " + i;
            i += Character.charCount(cp);
        }
        return null;
    }

    private static String describe(int cp) {
        if (cp == '\t' || cp == '\n') return null;
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return "the control character";
        if (cp == 0x061c
                || cp == 0x200e
                || cp == 0x200f
                || (cp >= 0x202a && cp <= 0x202e)
                || (cp >= 0x2066 && cp <= 0x2069)) {
            return "the bidirectional control";
        }
        if (cp == 0x2028 || cp == 0x2029) return "the line/paragraph separator";
        if (cp == 0xfeff) return "the byte-order mark";
        if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe) return "the noncharacter";
        return null;
    }

    private static String hex(int cp) {
        return String.format(Locale.ROOT, "%04X", cp);
    }
}
