package dev.vlm3d.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Bearer API-key authentication for everything but health probes. Actuator endpoints other than health need an
 * admin key (metrics show every tenant's queue). Ownership of jobs is enforced further in, by the scope of the
 * principal this filter leaves on the request.
 */
public class ApiKeyFilter extends OncePerRequestFilter {

    private final ApiKeyService keys;

    public ApiKeyFilter(ApiKeyService keys) {
        this.keys = keys;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        // the container's decoded, normalized path (servlet path + path info), not the raw URI: "/docs/../jobs"
        // must not pass as a public path
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        return path.equals("/actuator/health") || path.startsWith("/actuator/health/") || isPublicStaticPath(path);
    }

    // ---- PUBLIC STATIC PATHS (web console, API docs): the one list that needs no key; keep in step with the
    // security configuration. These serve only static files from the jar; every call the pages make to the API
    // still sends the key (README "Web console").
    static boolean isPublicStaticPath(String path) {
        return path.equals("/") || path.equals("/index.html") || path.equals("/openapi.yaml")
                || underPrefix(path, "/console") || underPrefix(path, "/webjars") || underPrefix(path, "/docs");
    }

    /** {@code /docs/**} semantics: the folder itself or anything below it. */
    private static boolean underPrefix(String path, String prefix) {
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }
    // ---- end of public static paths

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        String instance = request.getRequestURI();
        if (header == null || header.isBlank()) {
            response.setHeader("WWW-Authenticate", "Bearer");
            ProblemJson.write(response, 401, "Unauthorized", "UNAUTHENTICATED",
                    "an API key is required: send it as 'Authorization: Bearer <key>'", instance);
            return;
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
            response.setHeader("WWW-Authenticate", "Bearer error=\"invalid_request\"");
            ProblemJson.write(response, 401, "Unauthorized", "UNAUTHENTICATED",
                    "the Authorization header must use the Bearer scheme", instance);
            return;
        }
        Optional<ApiPrincipal> principal = keys.authenticate(header.substring(7).trim());
        if (principal.isEmpty()) {
            response.setHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
            ProblemJson.write(response, 401, "Unauthorized", "INVALID_API_KEY", "the API key is unknown or revoked", instance);
            return;
        }
        String path = instance.substring(request.getContextPath().length());
        if (path.startsWith("/actuator") && !principal.get().admin()) {
            ProblemJson.write(response, 403, "Forbidden", "ADMIN_REQUIRED", "this endpoint needs an admin key", instance);
            return;
        }
        request.setAttribute(ApiPrincipal.ATTRIBUTE, principal.get());
        chain.doFilter(request, response);
    }
}
