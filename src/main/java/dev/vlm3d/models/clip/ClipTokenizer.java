package dev.vlm3d.models.clip;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CLIP byte-level BPE as Stable Diffusion 2 runs it through transformers' {@code CLIPTokenizer}: NFC, whitespace
 * collapse and lower-casing; the added tokens (start, end and the pad token) are cut out before BPE; CLIP's regex
 * pre-split; bytes mapped to printable symbols; {@code </w>} on the last symbol of every word; merges applied
 * lowest rank first; then {@code [SOT] + tokens[:max-2] + [EOT]} padded with the pad id to the context length.
 *
 * <p>SD 2's {@code special_tokens_map.json} names {@code !} as pad token (vocabulary id 0) while
 * {@code tokenizer_config.json} says {@code <|endoftext|>}; transformers lets the former win, so do we. Because the
 * pad token becomes an added token, a literal {@code !} in a prompt maps straight to id 0 instead of going through
 * BPE.
 */
public final class ClipTokenizer {

    private static final Pattern WHITESPACE = Pattern.compile("(?U)\\s+");
    private static final Pattern PIECES = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CHARACTER_CLASS);
    private static final String END_OF_WORD = "</w>";

    /** A tokenized prompt: the fixed-length ids and how many ids (with SOT/EOT) it had before truncation. */
    public record Encoding(long[] ids, int untruncatedLength) {}

    private final Map<String, Integer> vocab;
    private final Map<String, Integer> mergeRanks;
    private final String[] byteSymbols;
    private final int startId;
    private final int endId;
    private final int padId;
    private final int maxLength;
    private final List<String> addedTokens;
    private final Map<String, List<Integer>> cache = new ConcurrentHashMap<>();

    private ClipTokenizer(
            Map<String, Integer> vocab,
            Map<String, Integer> mergeRanks,
            String startToken,
            String endToken,
            String padToken,
            int maxLength) {
        this.vocab = vocab;
        this.mergeRanks = mergeRanks;
        this.byteSymbols = byteToUnicode();
        this.startId = idOf(startToken);
        this.endId = idOf(endToken);
        this.padId = idOf(padToken);
        this.maxLength = maxLength;
        List<String> added = new ArrayList<>(List.of(startToken, endToken, padToken));
        // longest first, so that a token that contains another one is matched whole
        added.sort((a, b) -> b.length() - a.length());
        this.addedTokens = added;
    }

    /** Reads {@code vocab.json}, {@code merges.txt} and the two special-token files of a tokenizer folder. */
    public static ClipTokenizer load(Path folder) {
        try {
            Map<String, Integer> vocab = new HashMap<>();
            JsonObject v = JsonParser.parseString(Files.readString(folder.resolve("vocab.json")))
                    .getAsJsonObject();
            for (Map.Entry<String, JsonElement> e : v.entrySet()) {
                vocab.put(e.getKey(), e.getValue().getAsInt());
            }
            Map<String, Integer> ranks = new HashMap<>();
            int rank = 0;
            for (String line : Files.readAllLines(folder.resolve("merges.txt"), StandardCharsets.UTF_8)) {
                if (line.startsWith("#version") || line.isBlank()) {
                    continue;
                }
                String[] pair = line.trim().split(" ");
                if (pair.length == 2) {
                    ranks.put(pair[0] + " " + pair[1], rank++);
                }
            }
            JsonObject config = readJson(folder.resolve("tokenizer_config.json"));
            JsonObject special = readJson(folder.resolve("special_tokens_map.json"));
            String bos = tokenString(special, config, "bos_token", "<|startoftext|>");
            String eos = tokenString(special, config, "eos_token", "<|endoftext|>");
            String pad = tokenString(special, config, "pad_token", eos);
            int maxLength = config.has("model_max_length")
                            && config.get("model_max_length").isJsonPrimitive()
                            && config.get("model_max_length").getAsDouble() < 1e6
                    ? config.get("model_max_length").getAsInt()
                    : 77;
            return new ClipTokenizer(vocab, ranks, bos, eos, pad, maxLength);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer from " + folder, e);
        }
    }

    private static JsonObject readJson(Path p) throws IOException {
        return Files.isRegularFile(p)
                ? JsonParser.parseString(Files.readString(p)).getAsJsonObject()
                : new JsonObject();
    }

    /** special_tokens_map.json wins over tokenizer_config.json, as in transformers. */
    private static String tokenString(JsonObject special, JsonObject config, String key, String fallback) {
        for (JsonObject o : List.of(special, config)) {
            JsonElement e = o.get(key);
            if (e == null || e.isJsonNull()) {
                continue;
            }
            return e.isJsonObject() ? e.getAsJsonObject().get("content").getAsString() : e.getAsString();
        }
        return fallback;
    }

    private int idOf(String token) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException("special token " + token + " is not in the vocabulary");
        }
        return id;
    }

    public int startId() {
        return startId;
    }

    public int endId() {
        return endId;
    }

    public int padId() {
        return padId;
    }

    public int maxLength() {
        return maxLength;
    }

    /** Tokenizes with padding to {@link #maxLength()} and truncation (the SOT/EOT pair is always kept). */
    public Encoding encode(String text) {
        List<Integer> tokens = tokenize(text);
        long[] ids = new long[maxLength];
        java.util.Arrays.fill(ids, padId);
        ids[0] = startId;
        int kept = Math.min(tokens.size(), maxLength - 2);
        for (int i = 0; i < kept; i++) {
            ids[1 + i] = tokens.get(i);
        }
        ids[1 + kept] = endId;
        return new Encoding(ids, tokens.size() + 2);
    }

    /** The content token ids of a text, without SOT/EOT, padding or truncation. */
    public List<Integer> tokenize(String text) {
        String normalized = WHITESPACE
                .matcher(Normalizer.normalize(text, Normalizer.Form.NFC))
                .replaceAll(" ")
                .toLowerCase(Locale.ROOT);
        List<Integer> out = new ArrayList<>();
        int pos = 0;
        while (pos < normalized.length()) {
            int nextAt = -1;
            String next = null;
            for (String t : addedTokens) {
                int at = normalized.indexOf(t, pos);
                if (at >= 0 && (nextAt < 0 || at < nextAt)) {
                    nextAt = at;
                    next = t;
                }
            }
            int end = nextAt < 0 ? normalized.length() : nextAt;
            bpeSegment(normalized.substring(pos, end), out);
            if (next == null) {
                break;
            }
            out.add(vocab.get(next));
            pos = nextAt + next.length();
        }
        return out;
    }

    private void bpeSegment(String segment, List<Integer> out) {
        Matcher m = PIECES.matcher(segment);
        while (m.find()) {
            out.addAll(cache.computeIfAbsent(m.group(), this::bpeWord));
        }
    }

    private List<Integer> bpeWord(String piece) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        List<String> symbols = new ArrayList<>(bytes.length);
        for (byte b : bytes) {
            symbols.add(byteSymbols[b & 0xFF]);
        }
        int last = symbols.size() - 1;
        symbols.set(last, symbols.get(last) + END_OF_WORD);
        while (symbols.size() > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer r = mergeRanks.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            // merge every occurrence of the best pair, left to right, as BPE does
            String a = symbols.get(best);
            String b = symbols.get(best + 1);
            List<String> merged = new ArrayList<>(symbols.size());
            for (int i = 0; i < symbols.size(); i++) {
                if (i + 1 < symbols.size()
                        && symbols.get(i).equals(a)
                        && symbols.get(i + 1).equals(b)) {
                    merged.add(a + b);
                    i++;
                } else {
                    merged.add(symbols.get(i));
                }
            }
            symbols = merged;
        }
        List<Integer> ids = new ArrayList<>(symbols.size());
        for (String s : symbols) {
            Integer id = vocab.get(s);
            ids.add(id != null ? id : endId);
        }
        return ids;
    }

    /** GPT-2/CLIP's reversible map from bytes to printable unicode characters. */
    private static String[] byteToUnicode() {
        String[] map = new String[256];
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            printable[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            printable[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            printable[b] = true;
        }
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (printable[b]) {
                map[b] = String.valueOf((char) b);
            } else {
                map[b] = String.valueOf((char) (256 + n++));
            }
        }
        return map;
    }
}
