package dev.vlm3d.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An HTTP client for tests that checks every exchange against openapi.yaml: the request (unless a test sends a
 * deliberately invalid one) and always the response: status, headers, content type and JSON body schema.
 */
public final class ContractClient {

    private static final OpenApiInteractionValidator VALIDATOR = OpenApiInteractionValidator.createForSpecificationUrl(
                    Path.of("openapi.yaml").toAbsolutePath().toUri().toString())
            .build();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String baseUrl;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public ContractClient(int port) {
        this.baseUrl = "http://127.0.0.1:" + port;
    }

    /** A finished exchange. */
    public record Exchange(int status, Map<String, List<String>> headers, byte[] body) {

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            return JSON.readTree(body);
        }

        public String header(String name) {
            return headers.entrySet().stream()
                    .filter(e -> e.getKey().equalsIgnoreCase(name))
                    .flatMap(e -> e.getValue().stream())
                    .findFirst()
                    .orElse(null);
        }

        public String contentType() {
            return header("Content-Type");
        }
    }

    /** Builder-ish call description. */
    public static final class Call {
        private final String method;
        private final String path;
        private String token;
        private String body;
        private String contentType = "application/json";
        private final Map<String, String> headers = new LinkedHashMap<>();
        private boolean validRequest = true;
        private boolean checked = true;

        private Call(String method, String path) {
            this.method = method;
            this.path = path;
        }

        public Call token(String token) {
            this.token = token;
            return this;
        }

        public Call body(String body) {
            this.body = body;
            return this;
        }

        public Call contentType(String contentType) {
            this.contentType = contentType;
            return this;
        }

        public Call header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        /** The test sends a request the contract forbids on purpose: only the response is checked. */
        public Call invalidRequest() {
            this.validRequest = false;
            return this;
        }

        /** For paths or methods the contract does not describe (unknown routes, probe sub-paths). */
        public Call skipContractForUndocumented() {
            this.checked = false;
            return this;
        }
    }

    public static Call get(String path) {
        return new Call("GET", path);
    }

    public static Call post(String path, String body) {
        return new Call("POST", path).body(body);
    }

    public static Call put(String path, String body) {
        return new Call("PUT", path).body(body);
    }

    public static Call delete(String path) {
        return new Call("DELETE", path);
    }

    public Exchange send(Call call) {
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(URI.create(baseUrl + call.path)).timeout(Duration.ofSeconds(30));
        if (call.token != null) builder.header("Authorization", "Bearer " + call.token);
        call.headers.forEach(builder::header);
        if (call.body != null) {
            builder.header("Content-Type", call.contentType);
            builder.method(call.method, HttpRequest.BodyPublishers.ofString(call.body));
        } else {
            builder.method(call.method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Exchange exchange =
                new Exchange(response.statusCode(), response.headers().map(), response.body());
        validate(call, exchange);
        return exchange;
    }

    private static void validate(Call call, Exchange exchange) {
        if (!call.checked) return;
        String rawPath = call.path.contains("?") ? call.path.substring(0, call.path.indexOf('?')) : call.path;
        SimpleRequest.Builder request = new SimpleRequest.Builder(call.method, rawPath);
        if (call.path.contains("?")) {
            for (String pair : call.path.substring(call.path.indexOf('?') + 1).split("&")) {
                String[] kv = pair.split("=", 2);
                request.withQueryParam(
                        kv[0], kv.length > 1 ? java.net.URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
            }
        }
        if (call.token != null) request.withAuthorization("Bearer " + call.token);
        call.headers.forEach(request::withHeader);
        if (call.body != null) {
            request.withContentType(call.contentType);
            request.withBody(call.body);
        }
        SimpleResponse.Builder response = SimpleResponse.Builder.status(exchange.status());
        exchange.headers().forEach((name, values) -> {
            if (name != null && !name.equals(":status")) response.withHeader(name, values);
        });
        String type = exchange.contentType();
        if (type != null && exchange.body().length > 0) {
            // JSON and text are checked against their schemas; binary bodies only need to be present
            boolean textual = type.contains("json") || type.startsWith("text/");
            response.withBody(textual ? exchange.text() : new String(exchange.body(), StandardCharsets.ISO_8859_1));
        }
        ValidationReport report = call.validRequest
                ? VALIDATOR.validate(request.build(), response.build())
                : VALIDATOR.validateResponse(rawPath, Request.Method.valueOf(call.method), response.build());
        assertThat(report.getMessages())
                .as(
                        "contract violations for %s %s -> %d %s",
                        call.method, call.path, exchange.status(), exchange.text())
                .isEmpty();
    }

    /** Reads an SSE stream until it ends, returning the data of each "job" event as JSON. */
    public List<JsonNode> readEvents(String path, String token, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(timeout)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream")
                .GET()
                .build();
        try {
            HttpResponse<java.util.stream.Stream<String>> response =
                    http.send(request, HttpResponse.BodyHandlers.ofLines());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            // nginx in front (the chart's Ingress) passes events on at once only when told not to buffer them
            assertThat(response.headers().firstValue("X-Accel-Buffering"))
                    .as("X-Accel-Buffering of %s", path)
                    .hasValue("no");
            List<String> lines = response.body().collect(Collectors.toList());
            List<JsonNode> events = new java.util.ArrayList<>();
            String event = null;
            for (String line : lines) {
                if (line.startsWith("event:")) event = line.substring(6).trim();
                else if (line.startsWith("data:") && "job".equals(event))
                    events.add(JSON.readTree(line.substring(5).trim()));
                else if (line.isEmpty()) event = null;
            }
            return events;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static JsonMapper json() {
        return JSON;
    }
}
