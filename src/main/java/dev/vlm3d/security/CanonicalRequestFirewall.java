package dev.vlm3d.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.springframework.security.web.firewall.FirewalledRequest;
import org.springframework.security.web.firewall.HttpFirewall;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.StrictHttpFirewall;

/**
 * The first check every request passes, before authentication and routing: the path must be canonical, so that
 * the path authorization matches is the path routing uses. No API path needs an escape, so any {@code %} in the
 * path is refused (a {@code /%61ctuator} would otherwise decode to {@code /actuator} after the key check saw
 * something else), as are {@code .}/{@code ..} segments, empty segments ({@code //}), {@code ;} path parameters and
 * backslashes (Spring's {@link StrictHttpFirewall} refuses most of these too; it stays behind this check for
 * headers and methods). The query string must decode: every {@code %} followed by two hex digits, the bytes valid
 * UTF-8, so no parameter parser fails later.
 */
public final class CanonicalRequestFirewall implements HttpFirewall {

    /** The request line is not canonical (answered 400 NON_CANONICAL_PATH or INVALID_QUERY). */
    public static final class NonCanonicalRequestException extends RequestRejectedException {
        private final String code;

        NonCanonicalRequestException(String code, String message) {
            super(message);
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /** The method is not one the API answers (answered 405 METHOD_NOT_ALLOWED). */
    public static final class MethodRejectedException extends RequestRejectedException {
        MethodRejectedException(String message) {
            super(message);
        }
    }

    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

    private final StrictHttpFirewall strict = new StrictHttpFirewall();

    public CanonicalRequestFirewall() {
        strict.setAllowedHttpMethods(METHODS);
    }

    @Override
    public FirewalledRequest getFirewalledRequest(HttpServletRequest request) {
        if (!METHODS.contains(request.getMethod())) {
            throw new MethodRejectedException("method " + request.getMethod() + " is not supported");
        }
        String uri = request.getRequestURI();
        String problem = pathProblem(uri);
        if (problem != null) throw new NonCanonicalRequestException("NON_CANONICAL_PATH", "the path " + problem);
        String query = request.getQueryString();
        if (query != null && !decodes(query)) {
            throw new NonCanonicalRequestException(
                    "INVALID_QUERY", "the query string is not valid percent-encoded UTF-8");
        }
        try {
            return strict.getFirewalledRequest(request);
        } catch (RequestRejectedException e) {
            throw new NonCanonicalRequestException("NON_CANONICAL_PATH", "the request line is not canonical");
        }
    }

    @Override
    public HttpServletResponse getFirewalledResponse(HttpServletResponse response) {
        return strict.getFirewalledResponse(response);
    }

    /** Why the path is not canonical, or null when it is. */
    static String pathProblem(String uri) {
        if (uri == null || uri.isEmpty() || uri.charAt(0) != '/') return "must start with '/'";
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '%') return "must not contain percent-encoded characters";
            if (c == ';') return "must not contain ';'";
            if (c == '\\') return "must not contain '\\'";
            if (c <= 0x20 || c >= 0x7f) return "must contain only visible ASCII characters";
        }
        if (uri.length() > 1) {
            String[] segments = uri.substring(1).split("/", -1);
            for (int i = 0; i < segments.length; i++) {
                String s = segments[i];
                if (s.equals(".") || s.equals("..")) return "must not contain '.' or '..' segments";
                // a trailing slash is an ordinary (unknown) route; only empty inner segments are ambiguous
                if (s.isEmpty() && i < segments.length - 1) return "must not contain '//'";
            }
        }
        return null;
    }

    /** Whether a raw query string percent-decodes to valid UTF-8 ('+' is a space). */
    static boolean decodes(String query) {
        ByteBuffer bytes = ByteBuffer.allocate(query.length());
        for (int i = 0; i < query.length(); i++) {
            char c = query.charAt(i);
            if (c == '%') {
                if (i + 2 >= query.length()) return false;
                int hi = Character.digit(query.charAt(i + 1), 16);
                int lo = Character.digit(query.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) return false;
                bytes.put((byte) (hi * 16 + lo));
                i += 2;
            } else if (c < 0x20 || c >= 0x7f) {
                return false;
            } else {
                bytes.put((byte) c);
            }
        }
        bytes.flip();
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes);
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
