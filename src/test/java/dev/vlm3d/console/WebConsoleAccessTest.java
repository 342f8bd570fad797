package dev.vlm3d.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.testsupport.TestDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Who may fetch what: the console's static files, the webjars, /docs and /openapi.yaml need no key; everything
 * else still does, also when a path is dressed up as a public one. CORS answers only the allow-listed origin.
 * (CORS off by default is checked by {@link WebConsoleBrowserTest}, which runs without the property.)
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "vlm3d.security.admin-key=" + WebConsoleAccessTest.ADMIN,
            "vlm3d.worker.enabled=false",
            "vlm3d.cors.allowed-origins=https://tools.example.internal, https://other.example.internal"
        })
class WebConsoleAccessTest {

    static final String ADMIN = "console-access-admin-key-0123456789";
    private static final String ALLOWED = "https://tools.example.internal";

    private final HttpClient http = HttpClient.newHttpClient();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry, TestDatabase.freshSchema(WebConsoleAccessTest.class));
    }

    @LocalServerPort
    int port;

    @Test
    void theConsoleTheLibrariesAndTheDocsNeedNoKey() throws Exception {
        assertOpen("/", "text/html", "VLM3D console");
        assertOpen("/index.html", "text/html", "VLM3D console");
        assertOpen("/console/app.js", "javascript", "readEvents");
        assertOpen("/console/console.css", "text/css", "topbar");
        assertOpen("/webjars/three/build/three.module.js", "javascript", "WebGLRenderer");
        assertOpen("/webjars/three/examples/jsm/loaders/GLTFLoader.js", "javascript", "GLTFLoader");
        assertOpen("/webjars/chart.js/dist/chart.umd.js", "javascript", "Chart");
        assertOpen("/webjars/swagger-ui/swagger-ui-bundle.js", "javascript", "SwaggerUIBundle");
        assertOpen("/docs", "text/html", "swagger-ui");
        assertOpen("/docs/", "text/html", "swagger-ui");
        assertOpen("/openapi.yaml", "yaml", "openapi: 3.0.3");
    }

    @Test
    void theApiStillNeedsAKeyEvenBehindAPublicLookingPath() throws Exception {
        assertThat(send(get("/jobs")).statusCode()).isEqualTo(401);
        assertThat(send(get("/api-keys")).statusCode()).isEqualTo(401);
        // a public prefix with dot segments, plain or encoded, must not reach the API or actuator without a key
        for (String path : new String[] {
            "/docs/../jobs",
            "/console/../api-keys",
            "/webjars/%2e%2e/jobs",
            "/docs/..;/actuator/prometheus",
            "/actuator/health/../prometheus",
            "/console/..%2fjobs"
        }) {
            String answer = raw(path);
            assertThat(answer)
                    .as(path)
                    .doesNotStartWith("HTTP/1.1 200")
                    .doesNotContain("vlm3d_jobs")
                    .doesNotContain("\"jobs\"");
        }
        // and a key is still honoured there
        assertThat(send(get("/jobs").header("Authorization", "Bearer " + ADMIN)).statusCode())
                .isEqualTo(200);
    }

    @Test
    void corsAnswersOnlyTheAllowListedOrigins() throws Exception {
        HttpResponse<String> preflight = send(HttpRequest.newBuilder(uri("/jobs"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", ALLOWED)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type, idempotency-key"));
        assertThat(preflight.statusCode()).isEqualTo(200);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin"))
                .hasValue(ALLOWED);
        assertThat(preflight
                        .headers()
                        .firstValue("Access-Control-Allow-Headers")
                        .orElse("")
                        .toLowerCase())
                .contains("authorization")
                .contains("content-type")
                .contains("idempotency-key");
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Credentials"))
                .isEmpty();

        HttpResponse<String> foreign = send(HttpRequest.newBuilder(uri("/jobs"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://evil.example")
                .header("Access-Control-Request-Method", "GET"));
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(foreign.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();

        // the actual request still needs its key, and the page may read the headers it needs
        HttpResponse<String> unauthenticated = send(get("/jobs").header("Origin", ALLOWED));
        assertThat(unauthenticated.statusCode()).isEqualTo(401);
        assertThat(unauthenticated.headers().firstValue("Access-Control-Allow-Origin"))
                .hasValue(ALLOWED);
        HttpResponse<String> listed =
                send(get("/jobs").header("Origin", ALLOWED).header("Authorization", "Bearer " + ADMIN));
        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(listed.headers().firstValue("Access-Control-Allow-Origin")).hasValue(ALLOWED);
        assertThat(listed.headers().firstValue("Access-Control-Expose-Headers").orElse(""))
                .contains("Location")
                .contains("ETag");
    }

    private void assertOpen(String path, String contentType, String content) throws Exception {
        HttpResponse<String> response = send(get(path));
        assertThat(response.statusCode()).as(path).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse(""))
                .as(path)
                .contains(contentType);
        assertThat(response.body()).as(path).contains(content);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(uri(path)).GET();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The path exactly as written (an HTTP client would normalise the dot segments away). */
    private String raw(String path) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
