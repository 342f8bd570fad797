package dev.vlm3d.security;

import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;

/** Verifies a bearer API key against the api_keys table (through {@link ApiKeyService}'s short-lived cache). */
public final class ApiKeyAuthenticationProvider implements AuthenticationProvider {

    private final ApiKeyService keys;

    public ApiKeyAuthenticationProvider(ApiKeyService keys) {
        this.keys = keys;
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        String token = ((ApiKeyAuthentication) authentication).getCredentials();
        return keys.authenticate(token)
                .map(ApiKeyAuthentication::verified)
                .orElseThrow(() -> new BadCredentialsException("the API key is unknown or revoked"));
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return ApiKeyAuthentication.class.isAssignableFrom(authentication);
    }
}
