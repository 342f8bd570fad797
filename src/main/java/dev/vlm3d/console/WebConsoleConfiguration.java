package dev.vlm3d.console;

import java.util.List;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.server.MimeMappings;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.servlet.ConfigurableServletWebServerFactory;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.UrlBasedCorsConfigurationSource;
import org.springframework.web.filter.CorsFilter;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The web console and the API docs are static files (src/main/resources/static: {@code /} and {@code /console/**},
 * Swagger UI at {@code /docs} on {@code /openapi.yaml}, libraries under {@code /webjars/**}). This adds the
 * {@code /docs} entry point and, when {@code vlm3d.cors.allowed-origins} is set, CORS for other front ends.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(CorsProperties.class)
class WebConsoleConfiguration implements WebMvcConfigurer {

    /** Headers a browser page must be allowed to send and to read for the API as openapi.yaml describes it. */
    static final List<String> REQUEST_HEADERS =
            List.of("Authorization", "Content-Type", "Accept", "Idempotency-Key", "Range", "If-None-Match", "If-Range");

    static final List<String> RESPONSE_HEADERS = List.of(
            "Location",
            "ETag",
            "Content-Range",
            "Content-Length",
            "Accept-Ranges",
            "Idempotent-Replayed",
            "Retry-After",
            "WWW-Authenticate");

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addViewController("/docs").setViewName("forward:/docs/index.html");
        registry.addViewController("/docs/").setViewName("forward:/docs/index.html");
    }

    /** The container knows no type for .yaml: /openapi.yaml would go out as application/octet-stream. */
    @Bean
    WebServerFactoryCustomizer<ConfigurableServletWebServerFactory> yamlMimeType() {
        return factory -> {
            MimeMappings yaml = new MimeMappings();
            yaml.add("yaml", "application/yaml");
            factory.addMimeMappings(yaml);
        };
    }

    /**
     * Runs before the API-key filter: a preflight request carries no Authorization header, so it is answered here;
     * the actual request then still needs its key. Bearer keys are headers, not cookies, so no credentials mode.
     * Not registered at all while the allow-list is empty.
     */
    @Bean
    FilterRegistrationBean<CorsFilter> corsFilter(CorsProperties properties) {
        CorsConfiguration cors = new CorsConfiguration();
        cors.setAllowedOrigins(properties.allowedOrigins());
        cors.setAllowedMethods(List.of("GET", "POST", "DELETE"));
        cors.setAllowedHeaders(REQUEST_HEADERS);
        cors.setExposedHeaders(RESPONSE_HEADERS);
        cors.setAllowCredentials(false);
        cors.setMaxAge(3600L);
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        source.registerCorsConfiguration("/**", cors);
        FilterRegistrationBean<CorsFilter> registration = new FilterRegistrationBean<>(new CorsFilter(source));
        registration.setOrder(-110);
        registration.setEnabled(!properties.allowedOrigins().isEmpty());
        return registration;
    }
}
