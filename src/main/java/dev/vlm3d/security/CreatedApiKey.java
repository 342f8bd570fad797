package dev.vlm3d.security;

/**
 * A newly created key with its secret token, which is shown once and never stored, and its webhook signing secret,
 * which is stored (it signs) but shown only here and on rotation.
 */
public record CreatedApiKey(ApiKeyRecord key, String token, String webhookSecret) {}
