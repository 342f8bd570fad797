package dev.vlm3d.security;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.authentication.AuthenticationConverter;

/**
 * Reads {@code Authorization: Bearer <key>}. No header: no authentication (the entry point answers
 * UNAUTHENTICATED where a key is needed). A header in another scheme, empty, or sent twice is refused outright.
 */
final class BearerTokenConverter implements AuthenticationConverter {

    /** The Authorization header is there but is not one usable bearer token. */
    static final class MalformedAuthorizationException extends AuthenticationException {
        MalformedAuthorizationException(String message) {
            super(message);
        }
    }

    @Override
    public ApiKeyAuthentication convert(HttpServletRequest request) {
        List<String> headers = Collections.list(request.getHeaders(HttpHeaders.AUTHORIZATION));
        if (headers.isEmpty()) return null;
        if (headers.size() > 1) throw new MalformedAuthorizationException("send exactly one Authorization header");
        String header = headers.get(0);
        if (header.isBlank()) return null;
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)
                || header.substring(7).isBlank()) {
            throw new MalformedAuthorizationException("the Authorization header must use the Bearer scheme");
        }
        return ApiKeyAuthentication.unverified(header.substring(7).trim());
    }
}
