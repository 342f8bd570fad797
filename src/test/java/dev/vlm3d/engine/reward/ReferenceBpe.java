package dev.vlm3d.engine.reward;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small, independent reading of a Qwen2 {@code tokenizer.json} for tests: added tokens matched literally, NFC, the
 * Qwen2 pre-tokenizer regex, GPT-2 byte-to-unicode mapping and rank-ordered BPE merges. It shares no code with the
 * tokenizer under test (DJL's Hugging Face tokenizers), so ids it produces are an independent expectation.
 */
final class ReferenceBpe {

    private static final Pattern QWEN2_SPLIT = Pattern.compile(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private final Map<String, Integer> vocab = new HashMap<>();
    private final Map<String, Integer> mergeRank = new HashMap<>();
    private final Map<String, Integer> added = new HashMap<>();
    private final char[] byteChar = new char[256];

    private ReferenceBpe() {
        List<Integer> bs = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) {
            bs.add(b);
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            bs.add(b);
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            bs.add(b);
        }
        for (int b : bs) {
            byteChar[b] = (char) b;
        }
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (!bs.contains(b)) {
                byteChar[b] = (char) (256 + n++);
            }
        }
    }

    static ReferenceBpe load(Path tokenizerJson) throws IOException {
        ReferenceBpe t = new ReferenceBpe();
        JsonObject json =
                JsonParser.parseString(Files.readString(tokenizerJson)).getAsJsonObject();
        JsonObject model = json.getAsJsonObject("model");
        for (Map.Entry<String, JsonElement> e : model.getAsJsonObject("vocab").entrySet()) {
            t.vocab.put(e.getKey(), e.getValue().getAsInt());
        }
        int rank = 0;
        for (JsonElement m : model.getAsJsonArray("merges")) {
            String pair = m.isJsonArray()
                    ? m.getAsJsonArray().get(0).getAsString() + " "
                            + m.getAsJsonArray().get(1).getAsString()
                    : m.getAsString();
            t.mergeRank.put(pair, rank++);
        }
        for (JsonElement a : json.getAsJsonArray("added_tokens")) {
            t.added.put(
                    a.getAsJsonObject().get("content").getAsString(),
                    a.getAsJsonObject().get("id").getAsInt());
        }
        return t;
    }

    long[] encode(String text) {
        List<Long> ids = new ArrayList<>();
        int plainFrom = 0;
        int i = 0;
        while (i < text.length()) {
            String special = specialAt(text, i);
            if (special == null) {
                i++;
                continue;
            }
            encodePlain(text.substring(plainFrom, i), ids);
            ids.add((long) added.get(special));
            i += special.length();
            plainFrom = i;
        }
        encodePlain(text.substring(plainFrom), ids);
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private String specialAt(String text, int at) {
        String best = null;
        for (String s : added.keySet()) {
            if (text.startsWith(s, at) && (best == null || s.length() > best.length())) {
                best = s;
            }
        }
        return best;
    }

    private void encodePlain(String text, List<Long> ids) {
        if (text.isEmpty()) {
            return;
        }
        Matcher m = QWEN2_SPLIT.matcher(Normalizer.normalize(text, Normalizer.Form.NFC));
        while (m.find()) {
            StringBuilder mapped = new StringBuilder();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) {
                mapped.append(byteChar[b & 0xFF]);
            }
            for (String symbol : bpe(mapped.toString())) {
                Integer id = vocab.get(symbol);
                if (id == null) {
                    throw new IllegalStateException("symbol '" + symbol + "' is not in the vocabulary");
                }
                ids.add((long) id);
            }
        }
    }

    private List<String> bpe(String word) {
        List<String> symbols = new ArrayList<>();
        word.codePoints().forEach(c -> symbols.add(new String(Character.toChars(c))));
        while (symbols.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            int bestAt = -1;
            for (int k = 0; k + 1 < symbols.size(); k++) {
                Integer r = mergeRank.get(symbols.get(k) + " " + symbols.get(k + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    bestAt = k;
                }
            }
            if (bestAt < 0) {
                break;
            }
            symbols.set(bestAt, symbols.get(bestAt) + symbols.remove(bestAt + 1));
        }
        return symbols;
    }
}
