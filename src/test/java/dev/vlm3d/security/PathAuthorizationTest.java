package dev.vlm3d.security;

import static dev.vlm3d.testsupport.ContractClient.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.testsupport.ContractClient;
import dev.vlm3d.testsupport.RawHttp;
import dev.vlm3d.testsupport.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Authorization is decided on the path routing uses: encoded, dot-segment, double-slash and path-parameter
 * variants of admin paths are refused before routing, admin endpoints need an admin key whatever the spelling,
 * and only the console's static paths and the two probes answer without a key. Raw sockets, so the server sees
 * the bytes exactly as written.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "vlm3d.security.admin-key=" + PathAuthorizationTest.ADMIN,
            "vlm3d.security.key-cache-ttl=0s",
            "vlm3d.worker.enabled=false",
            "management.endpoints.web.exposure.include=health,info,prometheus,metrics,env"
        })
class PathAuthorizationTest {

    static final String ADMIN = "path-test-admin-key-0123456789";

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry, TestDatabase.freshSchema(PathAuthorizationTest.class));
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    RawHttp raw;
    String client;

    @BeforeEach
    void setUp() {
        raw = new RawHttp(port);
        jdbc.sql("DELETE FROM api_keys WHERE NOT admin").update();
        client = new ContractClient(port)
                .send(post("/api-keys", "{\"name\":\"client\"}").token(ADMIN))
                .json()
                .get("token")
                .stringValue();
    }

    private RawHttp.Response get(String target, String token) {
        return raw.send(
                "GET " + target + " HTTP/1.1\r\nHost: localhost"
                        + (token == null ? "" : "\r\nAuthorization: Bearer " + token),
                null);
    }

    private static void assertProblem(RawHttp.Response r, int status, String code) {
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/problem+json");
        JsonNode problem = ContractClient.json().readTree(r.body());
        assertThat(problem.get("code").stringValue()).isEqualTo(code);
        assertThat(problem.get("status").intValue()).isEqualTo(status);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/%61ctuator/prometheus",
                "/a%63tuator/prometheus",
                "/%61ctuator/info",
                "/actuator/%70rometheus",
                "/actuator/health/../prometheus",
                "/actuator/health/%2e%2e/prometheus",
                "/actuator/./prometheus",
                "//actuator/prometheus",
                "/actuator//prometheus",
                "/actuator;x=1/prometheus",
                "/actuator/prometheus;jsessionid=1",
                "/jobs/..;/actuator/prometheus",
                "/jobs%2f..%2factuator/prometheus",
                "/actuator\\prometheus",
                "/%2e%2e/actuator/prometheus",
                "/jobs/%00",
                "/api-keys%2F",
                "/%6Aobs"
            })
    void nonCanonicalPathsAreRefusedBeforeRoutingWhateverTheKey(String path) {
        for (String token : new String[] {client, ADMIN, null}) {
            RawHttp.Response r = get(path, token);
            assertThat(r.status()).as(path + " -> " + r.text()).isEqualTo(400);
            assertThat(r.contentType()).as(path).startsWith("application/problem+json");
            assertThat(r.text()).as(path).doesNotContain("jvm_").doesNotContain("vlm3d_jobs");
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/actuator/prometheus",
                "/actuator/info",
                "/actuator/health",
                "/actuator/metrics",
                "/actuator/env",
                "/actuator",
                "/api-keys"
            })
    void adminPathsNeedAnAdminKey(String path) {
        assertProblem(get(path, null), 401, "UNAUTHENTICATED");
        assertProblem(get(path, client), 403, "ADMIN_REQUIRED");
        assertProblem(get(path, "vlm3d_unknown"), 401, "INVALID_API_KEY");
        assertThat(get(path, ADMIN).status()).as(path).isEqualTo(200);
    }

    @Test
    void probesAnswerWithoutAKeyAndWithoutDetails() {
        for (String probe : new String[] {"/actuator/health/liveness", "/actuator/health/readiness"}) {
            RawHttp.Response r = get(probe, null);
            assertThat(r.status()).as(probe).isEqualTo(200);
            assertThat(r.text()).contains("\"UP\"").doesNotContain("workers").doesNotContain("db");
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"/", "/index.html", "/console/app.js", "/webjars/x/y.js", "/docs/guide.html", "/openapi.yaml"})
    void consolePathsArePublic(String path) {
        RawHttp.Response r = get(path, null);
        assertThat(r.status())
                .as(path + " is public: not 401/403 (" + r.text() + ")")
                .isNotIn(401, 403);
        assertThat(r.status()).isLessThan(500);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/jobs",
                "/jobs/00000000-0000-0000-0000-000000000000",
                "/error",
                "/nope",
                "/index.htm",
                "/openapi.yml"
            })
    void everyOtherPathNeedsAKey(String path) {
        assertProblem(get(path, null), 401, "UNAUTHENTICATED");
    }

    @Test
    void errorIsNotAnEndpoint() {
        assertProblem(get("/error", client), 404, "NOT_FOUND");
        assertProblem(
                raw.send(
                        "POST /error HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + client
                                + "\r\nContent-Type: application/json\r\nContent-Length: 2",
                        "{}".getBytes()),
                404,
                "NOT_FOUND");
    }

    @Test
    void malformedAuthorizationIsRefused() {
        assertProblem(
                raw.send("GET /jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YTpi", null), 401, "UNAUTHENTICATED");
        assertProblem(
                raw.send(
                        "GET /jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + client
                                + "\r\nAuthorization: Bearer " + ADMIN,
                        null),
                401,
                "UNAUTHENTICATED");
        assertThat(get("/jobs", client).status()).isEqualTo(200);
    }

    @Test
    void unsupportedMethodsAreProblems() {
        for (String method : new String[] {"TRACE", "CONNECT", "FOO", "PROPFIND"}) {
            String target = method.equals("CONNECT") ? "localhost:80" : "/jobs";
            RawHttp.Response r =
                    raw.send(method + " " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + client, null);
            assertThat(r.status()).as(method + " " + r.text()).isIn(400, 405);
            assertThat(r.contentType()).as(method).startsWith("application/problem+json");
        }
    }
}
