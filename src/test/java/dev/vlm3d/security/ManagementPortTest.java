package dev.vlm3d.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.testsupport.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * With {@code management.server.port} set, actuator is served on that port, where health details and the
 * Prometheus metrics answer without a key (the port is cluster-internal), while the API port keeps refusing the
 * actuator paths without an admin key.
 */
// its own context (a second server and another connection pool): closed after the class, not kept in the cache
@DirtiesContext
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "vlm3d.security.admin-key=" + ManagementPortTest.ADMIN,
            "vlm3d.worker.enabled=false",
            "management.server.port=0"
        })
class ManagementPortTest {

    static final String ADMIN = "management-test-admin-key-0123456789";

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry, TestDatabase.freshSchema(ManagementPortTest.class));
    }

    @LocalServerPort
    int apiPort;

    @LocalManagementPort
    int managementPort;

    @Autowired
    ManagementPort management;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(int port, String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .GET();
        if (token != null) request.header("Authorization", "Bearer " + token);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theManagementPortServesHealthDetailsAndMetricsWithoutAKey() throws Exception {
        assertThat(managementPort).isPositive().isNotEqualTo(apiPort);
        assertThat(management.separate()).isTrue();
        assertThat(management.port()).isEqualTo(managementPort);

        HttpResponse<String> health = get(managementPort, "/actuator/health", null);
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        assertThat(health.body())
                .contains("\"status\":\"UP\"")
                .contains("\"db\"")
                .contains("\"workers\"");
        HttpResponse<String> metrics = get(managementPort, "/actuator/prometheus", null);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("vlm3d_jobs_queue_depth");
        assertThat(get(managementPort, "/actuator/health/readiness", null).statusCode())
                .isEqualTo(200);
        assertThat(get(managementPort, "/actuator/health/liveness", null).statusCode())
                .isEqualTo(200);
        // the management server has no API: a job path is not found there, with or without a key
        assertThat(get(managementPort, "/jobs", ADMIN).statusCode()).isEqualTo(404);
    }

    @Test
    void theApiPortStillRefusesActuatorPathsWithoutAnAdminKey() throws Exception {
        for (String path : new String[] {"/actuator/health", "/actuator/prometheus", "/actuator"}) {
            HttpResponse<String> anonymous = get(apiPort, path, null);
            assertThat(anonymous.statusCode()).as(path).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("Content-Type").orElse(""))
                    .startsWith("application/problem+json");
        }
        String client = createKey();
        assertThat(get(apiPort, "/actuator/prometheus", client).statusCode()).isEqualTo(403);
        assertThat(get(apiPort, "/actuator/health", client).statusCode()).isEqualTo(403);
        // with an admin key the API port answers, but actuator now lives on the management port only
        assertThat(get(apiPort, "/actuator/prometheus", ADMIN).statusCode()).isEqualTo(404);
    }

    private String createKey() throws Exception {
        HttpResponse<String> created = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/api-keys"))
                        .header("Authorization", "Bearer " + ADMIN)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"client\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return created.body().replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");
    }
}
