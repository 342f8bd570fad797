package dev.vlm3d.console;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code allowedOrigins}: origins (e.g. {@code https://tools.example.internal}) of other front ends whose pages may
 * call the API from a browser. Empty (the default) sends no CORS headers: the console itself is same-origin.
 */
@ConfigurationProperties("vlm3d.cors")
public record CorsProperties(List<String> allowedOrigins) {

    public CorsProperties {
        allowedOrigins = allowedOrigins == null
                ? List.of()
                : allowedOrigins.stream()
                        .map(String::strip)
                        .filter(o -> !o.isEmpty())
                        .toList();
    }
}
