package dev.vlm3d.security;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.ProblemDetailJacksonMixin;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service's RFC 9457 problems: {@link #problem} makes every one of them (type from the stable {@code code}, title
 * the status's reason phrase, status, detail, and {@code code} itself), whether Spring MVC answers it (the API's
 * exception handler, {@code dev.vlm3d.api.ApiException}) or a servlet filter or the container does before MVC is
 * reached ({@link #write}, serialized the way MVC serializes a {@link ProblemDetail}: its properties inline).
 */
public final class ProblemJson {

    public static final String TYPE_BASE = "https://vlm3d.dev/problems/";

    private static final JsonMapper JSON = JsonMapper.builder()
            .addMixIn(ProblemDetail.class, ProblemDetailJacksonMixin.class)
            .build();

    private ProblemJson() {}

    public static String type(String code) {
        return TYPE_BASE + code.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** A problem with the given status, stable code and detail; no instance yet. */
    public static ProblemDetail problem(HttpStatusCode status, String code, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(type(code)));
        problem.setProperty("code", code);
        return problem;
    }

    /** Writes a problem from a servlet filter; {@code instance} may be null (omitted). */
    public static void write(HttpServletResponse response, int status, String code, String detail, String instance)
            throws IOException {
        ProblemDetail problem = problem(HttpStatusCode.valueOf(status), code, detail);
        if (instance != null) {
            try {
                problem.setInstance(URI.create(instance));
            } catch (IllegalArgumentException e) {
                // not a URI reference (the firewall refuses such paths before any filter that passes one): left out
            }
        }
        response.setStatus(status);
        response.setContentType("application/problem+json");
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        response.getWriter().write(json(problem));
    }

    /** The problem as its JSON text. */
    public static String json(ProblemDetail problem) {
        return JSON.writeValueAsString(problem);
    }
}
