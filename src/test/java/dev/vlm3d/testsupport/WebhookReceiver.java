package dev.vlm3d.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A real HTTP server on loopback that receives webhooks: it keeps every request (headers and body as received) and
 * answers what the test's {@link Behaviour} says: a status, after an optional delay (to outlast the sender's
 * timeout), or no answer until the receiver closes (to leave an attempt in flight).
 */
public final class WebhookReceiver implements AutoCloseable {

    /** One received request. */
    public record Received(
            String id, String timestamp, String signature, String contentType, String body, Instant receivedAt) {}

    /** What to answer: status code and delay (ms) for the n-th request overall (0-based) of a given delivery. */
    public record Answer(int status, long delayMillis) {
        public static Answer ok() {
            return new Answer(200, 0);
        }

        public static Answer status(int status) {
            return new Answer(status, 0);
        }

        /** Answers 200 only after the delay, by when the sender should have given up. */
        public static Answer slow(long millis) {
            return new Answer(200, millis);
        }

        /** Never answers (until the receiver is closed). */
        public static Answer hang() {
            return new Answer(200, Long.MAX_VALUE);
        }
    }

    /** Chooses the answer from the request and how many requests with its webhook-id came before it. */
    public interface Behaviour extends Function<Call, Answer> {}

    public record Call(Received request, int previousWithSameId) {}

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "webhook-receiver");
        t.setDaemon(true);
        return t;
    });
    private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
    private final Object hangLock = new Object();
    private volatile boolean closed;
    private volatile Behaviour behaviour = call -> Answer.ok();

    public WebhookReceiver() throws IOException {
        // without TCP_NODELAY the JDK server's separate header and body writes meet the client's delayed ACK and
        // every answer takes ~40 ms more: a property of this receiver, not of the sender under test
        System.setProperty("sun.net.httpserver.nodelay", "true");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    public void behave(Behaviour behaviour) {
        this.behaviour = behaviour;
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public void clear() {
        received.clear();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange;
                InputStream in = exchange.getRequestBody()) {
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Map<String, List<String>> h = exchange.getRequestHeaders();
            Received r = new Received(
                    first(h, "webhook-id"),
                    first(h, "webhook-timestamp"),
                    first(h, "webhook-signature"),
                    first(h, "content-type"),
                    body,
                    Instant.now());
            int before = (int) received.stream()
                    .filter(x -> r.id() != null && r.id().equals(x.id()))
                    .count();
            received.add(r);
            Answer answer = behaviour.apply(new Call(r, before));
            if (answer.delayMillis() > 0) {
                synchronized (hangLock) {
                    long until = answer.delayMillis() == Long.MAX_VALUE
                            ? Long.MAX_VALUE
                            : System.currentTimeMillis() + answer.delayMillis();
                    while (!closed && System.currentTimeMillis() < until) {
                        try {
                            hangLock.wait(Math.max(1, Math.min(100, until - System.currentTimeMillis())));
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }
            byte[] reply = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer.status(), reply.length);
            exchange.getResponseBody().write(reply);
        } catch (IOException e) {
            // the sender hung up (timed out): nothing to answer
        }
    }

    private static String first(Map<String, List<String>> headers, String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public void close() {
        closed = true;
        synchronized (hangLock) {
            hangLock.notifyAll();
        }
        server.stop(0);
        executor.shutdownNow();
    }
}
