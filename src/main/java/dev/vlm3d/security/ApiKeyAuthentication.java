package dev.vlm3d.security;

import java.util.List;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/**
 * A bearer API key: unauthenticated (only the token, as the client sent it) until {@link ApiKeyAuthenticationProvider}
 * has found the key, then authenticated with the {@link ApiPrincipal} and its roles (CLIENT, plus ADMIN for admin keys).
 */
public final class ApiKeyAuthentication extends AbstractAuthenticationToken {

    public static final String ROLE_CLIENT = "CLIENT";
    public static final String ROLE_ADMIN = "ADMIN";

    private final String token;
    private final ApiPrincipal principal;

    private ApiKeyAuthentication(String token, ApiPrincipal principal, List<GrantedAuthority> authorities) {
        super(authorities);
        this.token = token;
        this.principal = principal;
        setAuthenticated(principal != null);
    }

    /** What the request carries, before the key is looked up. */
    public static ApiKeyAuthentication unverified(String token) {
        return new ApiKeyAuthentication(token, null, List.of());
    }

    static ApiKeyAuthentication verified(ApiPrincipal principal) {
        List<GrantedAuthority> roles = principal.admin()
                ? List.of(
                        new SimpleGrantedAuthority("ROLE_" + ROLE_CLIENT),
                        new SimpleGrantedAuthority("ROLE_" + ROLE_ADMIN))
                : List.of(new SimpleGrantedAuthority("ROLE_" + ROLE_CLIENT));
        // the secret is not kept once verified
        return new ApiKeyAuthentication(null, principal, roles);
    }

    @Override
    public String getCredentials() {
        return token;
    }

    @Override
    public Object getPrincipal() {
        return principal;
    }

    @Override
    public String getName() {
        return principal == null ? "" : principal.name();
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o);
    }

    @Override
    public int hashCode() {
        return super.hashCode();
    }
}
