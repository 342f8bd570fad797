package dev.vlm3d.security;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Writes an RFC 9457 problem+json body from a servlet filter, before Spring MVC (and its exception handlers) is
 * reached. Same shape as the API's other problems: type, title, status, detail, instance, code.
 */
public final class ProblemJson {

    public static final String TYPE_BASE = "https://vlm3d.dev/problems/";

    private ProblemJson() {
    }

    public static String type(String code) {
        return TYPE_BASE + code.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Writes the problem; {@code instance} may be null (omitted). */
    public static void write(HttpServletResponse response, int status, String title, String code, String detail,
                             String instance) throws IOException {
        response.setStatus(status);
        response.setContentType("application/problem+json");
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        String body = "{\"type\":" + quote(type(code)) + ",\"title\":" + quote(title) + ",\"status\":" + status
                + ",\"detail\":" + quote(detail) + (instance == null ? "" : ",\"instance\":" + quote(instance))
                + ",\"code\":" + quote(code) + "}";
        response.getWriter().write(body);
    }

    /** A JSON string literal. */
    public static String quoted(String s) {
        return quote(s);
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
