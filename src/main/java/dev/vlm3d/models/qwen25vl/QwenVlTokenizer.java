package dev.vlm3d.models.qwen25vl;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.weights.WeightsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Qwen2 byte-level BPE through DJL's Hugging Face tokenizers, plus the Qwen2.5-VL chat template for one user turn of
 * N images followed by a question.
 *
 * <p>DJL truncates to 512 ids by default even when tokenizer.json has no truncation; a long prompt with 8 views has
 * ~700 ids, so truncation and padding are switched off, and special tokens are never added (Qwen adds no BOS).
 */
public final class QwenVlTokenizer implements AutoCloseable {

    static final String IM_START = "<|im_start|>";
    static final String IM_END = "<|im_end|>";
    static final String VISION_START = "<|vision_start|>";
    static final String VISION_END = "<|vision_end|>";
    static final String IMAGE_PAD = "<|image_pad|>";
    private static final Pattern DEFAULT_SYSTEM =
            Pattern.compile(Pattern.quote(IM_START + "system\n") + "(.*?)" + Pattern.quote(IM_END), Pattern.DOTALL);

    private final HuggingFaceTokenizer tokenizer;
    private final String defaultSystemMessage;
    private final long imStartId;
    private final long imEndId;
    private final long visionStartId;
    private final long visionEndId;
    private final long imagePadId;

    private QwenVlTokenizer(HuggingFaceTokenizer tokenizer, String defaultSystemMessage) {
        this.tokenizer = tokenizer;
        this.defaultSystemMessage = defaultSystemMessage;
        this.imStartId = singleTokenId(IM_START);
        this.imEndId = singleTokenId(IM_END);
        this.visionStartId = singleTokenId(VISION_START);
        this.visionEndId = singleTokenId(VISION_END);
        this.imagePadId = singleTokenId(IMAGE_PAD);
    }

    /** Loads {@code tokenizer.json} and the chat template ({@code chat_template.json} or tokenizer_config.json). */
    public static QwenVlTokenizer load(Path folder) {
        try {
            HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(
                    folder.resolve("tokenizer.json"),
                    Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false"));
            return new QwenVlTokenizer(tok, readDefaultSystemMessage(folder));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load tokenizer from " + folder, e);
        }
    }

    /** The system message the chat template inserts when a conversation has none. */
    static String readDefaultSystemMessage(Path folder) throws IOException {
        for (String file : new String[] {"chat_template.json", "tokenizer_config.json"}) {
            Path p = folder.resolve(file);
            if (!Files.isRegularFile(p)) {
                continue;
            }
            JsonObject json = JsonParser.parseString(Files.readString(p)).getAsJsonObject();
            if (json.has("chat_template") && json.get("chat_template").isJsonPrimitive()) {
                Matcher m = DEFAULT_SYSTEM.matcher(json.get("chat_template").getAsString());
                if (m.find()) {
                    return m.group(1);
                }
            }
        }
        throw new WeightsException("no chat template with a default system message in " + folder);
    }

    public String defaultSystemMessage() {
        return defaultSystemMessage;
    }

    /** Plain BPE ids of a text (no special tokens added, never truncated). */
    public long[] encode(String text) {
        Encoding enc = tokenizer.encode(text, false, false);
        return enc.getIds();
    }

    /** Id of a string that must be exactly one token (special tokens, the answers "Yes"/"No"). */
    public long singleTokenId(String token) {
        long[] ids = encode(token);
        if (ids.length != 1) {
            throw new WeightsException("'" + token + "' is " + ids.length + " tokens, expected exactly one");
        }
        return ids[0];
    }

    public long imagePadId() {
        return imagePadId;
    }

    public long visionStartId() {
        return visionStartId;
    }

    public long visionEndId() {
        return visionEndId;
    }

    /** One item of the user turn, in order: an image placeholder or a piece of text. */
    public record Content(String text) {
        public static Content image() {
            return new Content(null);
        }

        public static Content text(String text) {
            return new Content(java.util.Objects.requireNonNull(text));
        }

        public boolean isImage() {
            return text == null;
        }
    }

    /** [image × numImages, question]: the layout VLM3D uses. */
    public static java.util.List<Content> imagesThenText(int numImages, String question) {
        java.util.List<Content> items = new java.util.ArrayList<>();
        for (int i = 0; i < numImages; i++) {
            items.add(Content.image());
        }
        items.add(Content.text(question));
        return items;
    }

    public String renderTemplate(String systemMessage, int numImages, String question) {
        return renderTemplate(systemMessage, imagesThenText(numImages, question));
    }

    /**
     * The chat template's output for one user message with the generation prompt: what the HF processor renders
     * before it expands each image placeholder. List content is concatenated without separators.
     *
     * @param systemMessage null for the template's default
     */
    public String renderTemplate(String systemMessage, java.util.List<Content> user) {
        StringBuilder sb = new StringBuilder();
        sb.append(IM_START)
                .append("system\n")
                .append(systemMessage == null ? defaultSystemMessage : systemMessage)
                .append(IM_END)
                .append('\n');
        sb.append(IM_START).append("user\n");
        for (Content c : user) {
            if (c.isImage()) {
                sb.append(VISION_START).append(IMAGE_PAD).append(VISION_END);
            } else {
                sb.append(c.text());
            }
        }
        sb.append(IM_END).append('\n');
        sb.append(IM_START).append("assistant\n");
        return sb.toString();
    }

    public long[] promptIds(String systemMessage, int[] imageTokens, String question) {
        return promptIds(systemMessage, imagesThenText(imageTokens.length, question), imageTokens);
    }

    /**
     * Token ids of the chat prompt with the i-th image placeholder expanded to {@code imageTokens[i]} image-pad
     * tokens (gh·gw/4 for that image).
     */
    public long[] promptIds(String systemMessage, java.util.List<Content> user, int[] imageTokens) {
        long images = user.stream().filter(Content::isImage).count();
        if (images != imageTokens.length) {
            throw new IllegalArgumentException(images + " image items but " + imageTokens.length + " images");
        }
        String rendered = renderTemplate(systemMessage, user);
        StringBuilder expanded = new StringBuilder(rendered.length() + 16 * sum(imageTokens));
        int from = 0;
        for (int count : imageTokens) {
            int at = rendered.indexOf(IMAGE_PAD, from);
            expanded.append(rendered, from, at);
            expanded.append(IMAGE_PAD.repeat(count));
            from = at + IMAGE_PAD.length();
        }
        expanded.append(rendered.substring(from));
        long[] ids = encode(expanded.toString());
        long pads = 0;
        for (long id : ids) {
            if (id == imagePadId) {
                pads++;
            }
        }
        if (pads != sum(imageTokens)) {
            throw new IllegalStateException("prompt has " + pads + " image-pad tokens but the images need "
                    + sum(imageTokens) + " (does the text contain an image token?)");
        }
        return ids;
    }

    private static int sum(int[] a) {
        int s = 0;
        for (int v : a) {
            s += v;
        }
        return s;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
