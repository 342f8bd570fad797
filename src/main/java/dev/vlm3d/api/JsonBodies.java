package dev.vlm3d.api;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.springframework.http.HttpStatus;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads request bodies strictly, from the bytes: they must be valid UTF-8 (no overlong forms, no encoded
 * surrogates: a lenient decoder would turn {@code C0 AF} into '/' and store something the client never wrote),
 * one JSON value with no trailing data, and no object may name a key twice (which value would win is a guess).
 */
final class JsonBodies {

    private static final JsonMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private JsonBodies() {}

    static JsonNode read(byte[] body) {
        if (body == null || body.length == 0) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "MALFORMED_JSON", "the request body is empty");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "INVALID_UTF8", "the request body is not valid UTF-8");
        }
        try {
            return STRICT.readTree(text);
        } catch (JacksonException e) {
            String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
            if (message.startsWith("Duplicate Object property") || message.startsWith("Duplicate field")) {
                throw new ApiException(
                        HttpStatus.BAD_REQUEST,
                        "DUPLICATE_JSON_KEY",
                        "an object in the request body names a key twice");
            }
            throw new ApiException(HttpStatus.BAD_REQUEST, "MALFORMED_JSON", "the request body is not valid JSON");
        }
    }
}
