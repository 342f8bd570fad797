package dev.vlm3d.security;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpHeaders;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.annotation.web.configuration.WebSecurityCustomizer;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AuthenticationFilter;
import org.springframework.security.web.authentication.AuthenticationSuccessHandler;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.savedrequest.NullRequestCache;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * Who may call what, decided by Spring Security on the decoded, normalized path (the one routing uses) after
 * {@link CanonicalRequestFirewall} has refused every path that is not canonical. Every path needs an API key except
 * {@link #PUBLIC_PATHS}; actuator endpoints and key management need an admin key, except that actuator requests
 * arriving on a separate, cluster-internal management port ({@code management.server.port}, {@link ManagementPort})
 * need none. Also wires the API keys from {@code vlm3d.security.*} and makes the bootstrap admin key at start-up.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSecurity
@EnableConfigurationProperties(SecurityProperties.class)
public class SecurityConfiguration {

    /**
     * The only paths answered without an API key: the web console's static files and the API description it
     * renders, and the two probes Kubernetes and the Docker HEALTHCHECK call. Everything else, every API path
     * included, needs a key.
     */
    public static final String[] PUBLIC_PATHS = {
        // web console (static files served by this service) and the contract it shows
        "/",
        "/index.html",
        "/console/**",
        "/webjars/**",
        "/docs/**",
        "/openapi.yaml",
        // probes: up/down only, no details
        "/actuator/health/liveness",
        "/actuator/health/readiness",
    };

    /** Paths only admin keys may call: operational data about every tenant, and key management. */
    static final String[] ADMIN_PATHS = {"/actuator", "/actuator/**", "/api-keys", "/api-keys/**"};

    @Bean
    ApiKeyService apiKeyService(ApiKeyRepository keys, SecurityProperties properties) {
        return new ApiKeyService(keys, properties);
    }

    /** Runs after Flyway has migrated, before the application reports ready. */
    @Bean
    ApplicationRunner bootstrapAdminKey(ApiKeyService keys) {
        return args -> keys.ensureBootstrapAdmin();
    }

    @Bean
    ManagementPort managementPort(Environment environment) {
        return new ManagementPort(environment);
    }

    @Bean
    ApiKeyAuthenticationProvider apiKeyAuthenticationProvider(ApiKeyService keys) {
        return new ApiKeyAuthenticationProvider(keys);
    }

    @Bean
    WebSecurityCustomizer canonicalRequests() {
        return web -> web.httpFirewall(new CanonicalRequestFirewall())
                .requestRejectedHandler((request, response, e) -> {
                    if (e instanceof CanonicalRequestFirewall.MethodRejectedException) {
                        response.setHeader(
                                HttpHeaders.ALLOW,
                                String.join(
                                        ", ",
                                        CanonicalRequestFirewall.METHODS.stream()
                                                .sorted()
                                                .toList()));
                        ProblemJson.write(response, 405, "METHOD_NOT_ALLOWED", e.getMessage(), null);
                    } else {
                        String code = e instanceof CanonicalRequestFirewall.NonCanonicalRequestException n
                                ? n.code()
                                : "NON_CANONICAL_PATH";
                        // the raw path is not echoed back as instance: it is exactly what was refused
                        ProblemJson.write(response, 400, code, e.getMessage(), null);
                    }
                });
    }

    @Bean
    SecurityFilterChain apiSecurity(HttpSecurity http, ApiKeyAuthenticationProvider provider, ManagementPort management)
            throws Exception {
        AuthenticationFilter apiKeys =
                new AuthenticationFilter(new ProviderManager(provider), new BearerTokenConverter());
        apiKeys.setSuccessHandler(new AuthenticationSuccessHandler() {
            @Override
            public void onAuthenticationSuccess(
                    HttpServletRequest request,
                    HttpServletResponse response,
                    FilterChain chain,
                    Authentication authentication)
                    throws IOException, ServletException {
                // a verified key continues to the endpoint (the default handler would redirect)
                chain.doFilter(request, response);
            }

            @Override
            public void onAuthenticationSuccess(
                    HttpServletRequest request, HttpServletResponse response, Authentication authentication) {
                throw new IllegalStateException("the chain variant is always used");
            }
        });
        apiKeys.setFailureHandler((request, response, e) -> {
            if (e instanceof BearerTokenConverter.MalformedAuthorizationException) {
                response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"invalid_request\"");
                ProblemJson.write(response, 401, "UNAUTHENTICATED", e.getMessage(), request.getRequestURI());
            } else {
                response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"");
                ProblemJson.write(
                        response, 401, "INVALID_API_KEY", "the API key is unknown or revoked", request.getRequestURI());
            }
        });
        return http.csrf(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .requestCache(cache -> cache.requestCache(new NullRequestCache()))
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .addFilterBefore(apiKeys, BasicAuthenticationFilter.class)
                .authorizeHttpRequests(authorize -> authorize
                        // an async (SSE) dispatch continues a request that was authorized when it arrived
                        .dispatcherTypeMatchers(DispatcherType.ASYNC)
                        .permitAll()
                        .requestMatchers(PUBLIC_PATHS)
                        .permitAll()
                        // the management server serves only actuator endpoints, on a port kept inside the cluster
                        .requestMatchers((RequestMatcher) request -> management.received(request)
                                && request.getRequestURI().startsWith("/actuator"))
                        .permitAll()
                        .requestMatchers(ADMIN_PATHS)
                        .hasRole(ApiKeyAuthentication.ROLE_ADMIN)
                        .anyRequest()
                        .hasRole(ApiKeyAuthentication.ROLE_CLIENT))
                .exceptionHandling(e -> e.authenticationEntryPoint((request, response, ex) -> {
                            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
                            ProblemJson.write(
                                    response,
                                    HttpServletResponse.SC_UNAUTHORIZED,
                                    "UNAUTHENTICATED",
                                    "an API key is required: send it as 'Authorization: Bearer <key>'",
                                    request.getRequestURI());
                        })
                        .accessDeniedHandler((request, response, ex) -> ProblemJson.write(
                                response,
                                HttpServletResponse.SC_FORBIDDEN,
                                "ADMIN_REQUIRED",
                                "this endpoint needs an admin key",
                                request.getRequestURI())))
                .build();
    }
}
