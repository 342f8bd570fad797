package dev.vlm3d.security;

/** A newly created key with its secret token, which is shown once and never stored. */
public record CreatedApiKey(ApiKeyRecord key, String token) {
}
