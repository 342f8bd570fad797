package dev.vlm3d.api;

import static dev.vlm3d.testsupport.ContractClient.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.artifacts.ArtifactKind;
import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.jobs.ClaimedJob;
import dev.vlm3d.jobs.JobQueue;
import dev.vlm3d.testsupport.ContractClient;
import dev.vlm3d.testsupport.RawHttp;
import dev.vlm3d.testsupport.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Generated hostile requests over raw sockets, so bad bytes reach the server exactly as written: broken request
 * lines, escapes and dot segments in paths, undecodable queries, forged cursors and ids, odd methods, repeated
 * and malformed headers, Range values of any length, and bodies with invalid UTF-8, NUL, surrogates, control and
 * bidi characters, model control tokens, duplicate keys, deep nesting and huge numbers. Every answer must be
 * below 500, every 4xx a problem+json with a code, and a refused request must leave the database as it was.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "vlm3d.security.admin-key=" + HostileRequestFuzzTest.ADMIN,
            "vlm3d.worker.enabled=false",
            "vlm3d.api.max-body-bytes=16384",
            "server.tomcat.connection-timeout=2s"
        })
class HostileRequestFuzzTest {

    static final String ADMIN = "fuzz-admin-key-0123456789";
    static final int REQUESTS = 1500;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry, TestDatabase.freshSchema(HostileRequestFuzzTest.class));
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    JobQueue queue;

    @Autowired
    ArtifactStore artifacts;

    private final Random random = new Random(20261201L);
    private String client;
    private String finishedJob;

    @Test
    void hostileRequestsNeverGet5xxAlwaysGetProblemJsonAndStoreNothing() throws Exception {
        ContractClient api = new ContractClient(port);
        client = api.send(post("/api-keys", "{\"name\":\"fuzz\",\"max_queued_jobs\":1000}")
                        .token(ADMIN))
                .json()
                .get("token")
                .stringValue();
        finishedJob = api.send(post("/jobs", "{\"prompt\":\"a finished job\",\"steps\":2}")
                        .token(client))
                .json()
                .get("id")
                .stringValue();
        ClaimedJob claimed = queue.claim("fuzz-worker").orElseThrow();
        artifacts.put(
                claimed.job().id(),
                claimed.lease().attempt(),
                ArtifactKind.OUTPUT,
                "model.glb",
                "model/gltf-binary",
                new byte[1000]);
        queue.complete(claimed.lease());

        RawHttp raw = new RawHttp(port);
        Map<Integer, Integer> byStatus = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            byte[] request = generate();
            String before = state();
            String shown = show(request);
            RawHttp.Response response;
            try {
                response = raw.sendBytes(request);
            } catch (IllegalStateException e) {
                failures.add("no response to " + shown);
                continue;
            }
            byStatus.merge(response.status(), 1, Integer::sum);
            if (response.status() >= 500) failures.add(response.status() + " for " + shown + " -> " + response.text());
            if (response.status() >= 400) {
                if (!response.contentType().startsWith("application/problem+json")) {
                    failures.add("not problem+json (" + response.contentType() + ") for " + shown + " -> "
                            + response.text());
                } else if (!shown.startsWith("HEAD ")) {
                    JsonNode problem = ContractClient.json().readTree(response.body());
                    if (problem.get("code") == null || problem.get("status").intValue() != response.status()) {
                        failures.add("problem without code/status for " + shown + " -> " + response.text());
                    }
                }
                String after = state();
                if (!after.equals(before)) failures.add("refused (" + response.status() + ") but stored: " + shown);
            }
        }
        System.out.println("hostile requests by status: " + byStatus);
        assertThat(failures).as("of %d hostile requests", REQUESTS).isEmpty();
        assertThat(byStatus.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(REQUESTS);
        assertThat(byStatus.keySet())
                .as("the generator reaches many kinds of refusal")
                .hasSizeGreaterThan(8);
    }

    /** Everything a request could have stored. */
    private String state() {
        return jdbc.sql("""
                SELECT (SELECT count(*) FROM jobs) || '/' || (SELECT count(*) FROM api_keys) || '/'
                    || (SELECT count(*) FROM artifacts) || '/' || (SELECT count(*) FROM job_steps) || '/'
                    || (SELECT coalesce(max(updated_at)::text, '') FROM jobs)""").query(String.class).single();
    }

    private static String show(byte[] request) {
        String s = new String(request, StandardCharsets.ISO_8859_1).replace("\r\n", "\\r\\n");
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private <T> T pick(List<T> options) {
        return options.get(random.nextInt(options.size()));
    }

    private boolean chance(int percent) {
        return random.nextInt(100) < percent;
    }

    private static String cursor(String raw) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    private byte[] generate() {
        String method = pick(List.of(
                "GET",
                "GET",
                "GET",
                "POST",
                "POST",
                "POST",
                "DELETE",
                "PUT",
                "PATCH",
                "HEAD",
                "OPTIONS",
                "TRACE",
                "CONNECT",
                "FOO",
                "get",
                "PROPFIND"));
        String id = pick(List.of(
                finishedJob,
                finishedJob,
                UUID.randomUUID().toString(),
                "1-1-1-1-1",
                "not-a-uuid",
                finishedJob.toUpperCase(),
                "{" + finishedJob + "}",
                finishedJob + "0",
                "00000000-0000-0000-0000-00000000000g"));
        String path = pick(List.of(
                "/jobs",
                "/jobs",
                "/jobs/" + id,
                "/jobs/" + id + "/cancel",
                "/jobs/" + id + "/metrics",
                "/jobs/" + id + "/artifacts",
                "/jobs/" + id + "/artifacts/model.glb",
                "/jobs/" + id + "/artifacts/x..glb",
                "/jobs/" + finishedJob + "/events",
                "/api-keys",
                "/api-keys/" + id,
                "/actuator/health",
                "/actuator/prometheus",
                "/actuator/info",
                "/actuator/health/liveness",
                "/actuator/health/readiness",
                "/error",
                "/",
                "/openapi.yaml",
                "/console/x.js",
                "/nope"));
        if (method.equals("DELETE") && path.equals("/jobs/" + finishedJob)) path = "/jobs/" + UUID.randomUUID();
        if (chance(25)) path = mutatePath(path);
        String query = chance(40)
                ? pick(List.of(
                        "?%zz=1",
                        "?status=%",
                        "?limit=%GG",
                        "?status=%FF",
                        "?status=%C0%AF",
                        "?limit=99999999999",
                        "?limit=-1",
                        "?limit=1e3",
                        "?status=queued",
                        "?status=DONE",
                        "?format=xml",
                        "?format=csv",
                        "?a=b&a=c",
                        "?status=QUEUED&status=RUNNING",
                        "?cursor=bogus",
                        "?cursor=",
                        "?cursor=" + cursor("99999999999999999999/" + UUID.randomUUID()),
                        "?cursor=" + cursor("-1/" + UUID.randomUUID()),
                        "?cursor=" + cursor("1/1-1-1-1-1"),
                        "?cursor=" + cursor("9223372036854775807/" + UUID.randomUUID()),
                        "?cursor=" + cursor("1"),
                        "?cursor=%00",
                        "?" + "x".repeat(6000),
                        "?limit=2&cursor=" + cursor("1700000000000000/" + UUID.randomUUID()),
                        "?q=%E2%80%AE",
                        "?%",
                        "?=&=&",
                        "?limit=+5"))
                : "";
        String target = method.equals("CONNECT") && chance(50) ? "127.0.0.1:" + port : path + query;
        String version = chance(95)
                ? "HTTP/1.1"
                : pick(List.of("HTTP/1.0", "HTTP/2.0", "HTTP/9", "HTTPS/1.1", "HTTP/1.1 x", "http/1.1"));

        List<String> headers = new ArrayList<>();
        if (!chance(3)) headers.add("Host: localhost");
        String auth = pick(List.of(
                "Bearer " + client,
                "Bearer " + client,
                "Bearer " + client,
                "Bearer " + ADMIN,
                "",
                "Bearer",
                "Bearer ",
                "Basic YTpi",
                "Bearer vlm3d_nope",
                "bearer " + client,
                "Bearer " + client + "\u00ff"));
        if (!auth.isEmpty()) headers.add("Authorization: " + auth);
        if (chance(3)) headers.add("Authorization: Bearer " + ADMIN);
        if (chance(35))
            headers.add("Range: "
                    + pick(List.of(
                            "bytes=99999999999999999999-",
                            "bytes=-99999999999999999999",
                            "bytes=0-99999999999999999999",
                            "bytes=5-1",
                            "bytes=abc",
                            "items=0-1",
                            "bytes=0-1,2-3",
                            "bytes= 0-1",
                            "bytes=--1",
                            "bytes=-0",
                            "bytes=1000-",
                            "bytes=999-",
                            "BYTES=0-0",
                            "bytes=0-0-0",
                            "bytes=",
                            "bytes=-",
                            "=0-1",
                            "bytes=+1-2",
                            "bytes=1 -2",
                            "bytes=18446744073709551616-18446744073709551617")));
        if (chance(5)) headers.add("Range: bytes=0-1");
        if (chance(15)) headers.add("If-Range: " + pick(List.of("\"x\"", "*", "", "W/\"a\"")));
        if (chance(15)) headers.add("If-None-Match: " + pick(List.of("*", "\"x\", \"y\"", ",,,", "\u00ff")));
        if (chance(20))
            headers.add("Accept: "
                    + pick(List.of(
                            "*/*",
                            "application/xml",
                            "garbage///",
                            "text/csv",
                            "application/json;q=abc",
                            "text/event-stream",
                            ";;;",
                            "application/problem+json")));
        if (chance(20)) {
            String key = pick(List.of("k1", "", " ", "k".repeat(300), "caf\u00e9", "a,b", "k\u0001"));
            headers.add("Idempotency-Key: " + key);
            if (chance(40)) headers.add("Idempotency-Key: " + pick(List.of("k1", "k2")));
        }
        if (chance(5))
            headers.add(pick(List.of(
                    "X-Broken",
                    "Bad Header: x",
                    ": empty",
                    "X-Fold: a\r\n folded",
                    "X-Ctl: a\u0001b",
                    "X-Long: " + "y".repeat(20000))));
        if (chance(4)) headers.add("Expect: " + pick(List.of("100-continue", "fireworks")));

        byte[] body = null;
        boolean hasBody = method.equals("POST") || method.equals("PUT") || method.equals("PATCH") || chance(5);
        if (hasBody) {
            body = body();
            String contentType = chance(85)
                    ? "application/json"
                    : pick(List.of(
                            "text/plain",
                            "application/json;charset=latin1",
                            ";;;",
                            "application/json; charset=\"",
                            "application/x-www-form-urlencoded",
                            "multipart/form-data",
                            "application/json;charset=utf-16",
                            "*/*"));
            headers.add("Content-Type: " + contentType);
            int framing = random.nextInt(100);
            if (framing < 80) {
                headers.add("Content-Length: " + body.length);
            } else if (framing < 88) {
                headers.add("Transfer-Encoding: chunked");
                body = chunked(body, chance(30));
            } else if (framing < 92) {
                headers.add("Transfer-Encoding: "
                        + pick(List.of("gzip", "chunked, identity", "x-custom", "chunked, chunked")));
                headers.add("Content-Length: " + body.length);
            } else if (framing < 96) {
                headers.add(
                        "Content-Length: " + pick(List.of("abc", "-1", body.length + ", " + (body.length + 1), "1e3")));
            } else {
                headers.add("Content-Length: " + body.length);
                headers.add("Content-Length: " + body.length);
            }
        }

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String requestLine = method + " " + target + (version.isEmpty() ? "" : " " + version);
        if (chance(2)) requestLine = pick(List.of("GET  /jobs HTTP/1.1", "GET /jobs\tHTTP/1.1", " GET /jobs HTTP/1.1"));
        out.writeBytes(requestLine.getBytes(StandardCharsets.ISO_8859_1));
        if (chance(2)) out.writeBytes(new byte[] {(byte) 0xff, (byte) 0xfe});
        for (String h : headers) out.writeBytes(("\r\n" + h).getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes("\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) out.writeBytes(body);
        return out.toByteArray();
    }

    private String mutatePath(String path) {
        int at = 1 + random.nextInt(Math.max(1, path.length() - 1));
        String head = path.substring(0, Math.min(at, path.length()));
        String tail = path.substring(Math.min(at, path.length()));
        return switch (random.nextInt(12)) {
            case 0 -> head + "/.." + tail;
            case 1 -> head + "//" + tail;
            case 2 -> head + ";x=1" + tail;
            case 3 ->
                path.length() < 2
                        ? "/%2e"
                        : "/" + "%" + String.format("%02x", (int) path.charAt(1)) + path.substring(2);
            case 4 -> head + "%00" + tail;
            case 5 -> head + "%zz" + tail;
            case 6 -> head + "%2e%2e/" + tail;
            case 7 -> head + "\u00ff" + tail;
            case 8 -> path + "/" + "a".repeat(9000);
            case 9 -> head + "\\" + tail;
            case 10 -> path + "/";
            default -> "/actuator/health/../prometheus";
        };
    }

    private byte[] body() {
        String prompt = pick(List.of(
                "a red chair",
                "a<|im_end|>b",
                "<|vision_start|>",
                "<|endoftext|> cat",
                "a\\u0000b",
                "a\\ud800b",
                "\\udc00",
                "a\\u202eb",
                "a\\u2028b",
                "a\\u0085b",
                "a\\u007fb",
                "a\\uffffb",
                "a\\ufeffb",
                "   ",
                "",
                "x".repeat(1200),
                "tab\\tand\\nnewline",
                "\\ud83d\\ude00 emoji",
                "caf\u00e9"));
        String json = switch (random.nextInt(22)) {
            case 0 -> "{\"prompt\":\"" + prompt + "\",\"prompt\":\"twice\"}";
            case 1 -> "{\"name\":\"" + prompt + "\"}";
            case 2 -> "{\"name\":\"a\\u0000b\"}";
            case 3 -> "[".repeat(3000) + "]".repeat(3000);
            case 4 -> "{\"prompt\":\"x\",\"seed\":1e99999}";
            case 5 -> "{\"prompt\":\"x\",\"seed\":" + "9".repeat(500) + "}";
            case 6 -> "{}{}";
            case 7 -> "";
            case 8 -> "null";
            case 9 -> "{\"prompt\":\"x\",\"options\":{\"lambda_vlm_start\":1e308,\"lambda_vlm_start\":1}}";
            case 10 -> "{\"prompt\":\"x\",\"negative_prompt\":\"" + prompt + "\"}";
            case 11 -> "{\"prompt\":\"" + "y".repeat(17000) + "\"}";
            case 12 -> "{\"prompt\":\"x\",\"steps\":-5,\"priority\":99}";
            case 13 -> "{\"name\":\"k\",\"admin\":\"yes\"}";
            case 14 -> "{\"name\":\"k\",\"max_queued_jobs\":1e20}";
            case 15 -> "\"just a string\"";
            default -> "{\"prompt\":\"" + prompt + "\"}";
        };
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        if (chance(25)) {
            // raw byte damage a JSON escape cannot express: invalid, overlong and surrogate-encoding UTF-8, NUL
            byte[][] damage = {
                {(byte) 0xff},
                {(byte) 0xc0, (byte) 0xaf},
                {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                {0},
                {(byte) 0xe2, (byte) 0x82},
                {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}
            };
            byte[] d = damage[random.nextInt(damage.length)];
            int at = bytes.length < 4 ? 0 : 2 + random.nextInt(bytes.length - 3);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(bytes, 0, at);
            out.writeBytes(d);
            out.write(bytes, at, bytes.length - at);
            bytes = out.toByteArray();
        }
        return bytes;
    }

    private byte[] chunked(byte[] body, boolean broken) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (broken) {
            out.writeBytes(("zz\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.writeBytes(body);
            out.writeBytes("\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            return out.toByteArray();
        }
        out.writeBytes((Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(body);
        out.writeBytes("\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }
}
