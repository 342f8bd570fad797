package dev.vlm3d.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, so a test can send bytes no HTTP client would (bad escapes, invalid UTF-8,
 * duplicate headers, odd methods) and read exactly what the server answers. One request per connection.
 */
public final class RawHttp {

    /** A response as received; header names lower-cased, the last value of a repeated header kept. */
    public record Response(int status, Map<String, String> headers, byte[] body, int rawBodyLength) {

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public String contentType() {
            return headers.getOrDefault("content-type", "");
        }
    }

    private final int port;

    public RawHttp(int port) {
        this.port = port;
    }

    /** Sends a request head (request line and headers, CRLF-separated, without the final blank line) and a body. */
    public Response send(String head, byte[] body) {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        request.writeBytes("\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) request.writeBytes(body);
        return sendBytes(request.toByteArray());
    }

    /** Sends the bytes and returns everything received until the server closes the connection (for diagnosis). */
    public byte[] exchangeBytes(byte[] bytes) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(bytes);
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            try {
                socket.getInputStream().transferTo(received);
            } catch (IOException e) {
                // timeout or reset: return what arrived
            }
            return received.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends the bytes as they are and reads the answer until the server closes the connection. */
    public Response sendBytes(byte[] bytes) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(bytes);
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    received.write(buffer, 0, n);
                    Response done = parseIfComplete(received.toByteArray());
                    if (done != null) return done;
                }
            } catch (SocketTimeoutException | java.net.SocketException e) {
                // fall through: parse what arrived
            }
            Response response = parse(received.toByteArray());
            if (response == null) throw new IllegalStateException("no HTTP response to: " + preview(bytes));
            return response;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String preview(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.ISO_8859_1);
        return s.length() > 200 ? s.substring(0, 200) : s;
    }

    /** A response whose body is complete by Content-Length (or chunked terminator), else null. */
    private static Response parseIfComplete(byte[] data) {
        Response head = parse(data);
        if (head == null) return null;
        int end = data.length - head.rawBodyLength();
        String length = head.headers().get("content-length");
        if (length != null) {
            return data.length - end >= Long.parseLong(length.trim()) ? head : null;
        }
        if ("chunked".equalsIgnoreCase(head.headers().getOrDefault("transfer-encoding", ""))) {
            String all = new String(data, StandardCharsets.ISO_8859_1);
            return all.endsWith("0\r\n\r\n") ? head : null;
        }
        if (head.status() == 204 || head.status() == 304) return head;
        return null;
    }

    private static int headEnd(byte[] data) {
        for (int i = 0; i + 3 < data.length; i++) {
            if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n') return i + 4;
        }
        return -1;
    }

    private static Response parse(byte[] data) {
        int end = headEnd(data);
        // skip interim 1xx answers (100 Continue): the final response follows them
        while (end > 0
                && data.length > 12
                && new String(data, 0, 12, StandardCharsets.ISO_8859_1).matches("HTTP/1\\.[01] 1\\d\\d")) {
            data = java.util.Arrays.copyOfRange(data, end, data.length);
            end = headEnd(data);
        }
        if (end < 0) return null;
        String[] lines = new String(data, 0, end - 4, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) return null;
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0)
                headers.put(
                        lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
        }
        byte[] body = java.util.Arrays.copyOfRange(data, end, data.length);
        int rawLength = body.length;
        if ("chunked".equalsIgnoreCase(headers.getOrDefault("transfer-encoding", ""))) body = dechunk(body);
        return new Response(Integer.parseInt(statusLine[1]), headers, body, rawLength);
    }

    private static byte[] dechunk(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < body.length) {
            int lineEnd = i;
            while (lineEnd + 1 < body.length && !(body[lineEnd] == '\r' && body[lineEnd + 1] == '\n')) lineEnd++;
            if (lineEnd + 1 >= body.length) break;
            String sizeText = new String(body, i, lineEnd - i, StandardCharsets.ISO_8859_1).split(";")[0].trim();
            int size;
            try {
                size = Integer.parseInt(sizeText, 16);
            } catch (NumberFormatException e) {
                break;
            }
            if (size == 0) break;
            int start = lineEnd + 2;
            out.write(body, start, Math.min(size, body.length - start));
            i = start + size + 2;
        }
        return out.toByteArray();
    }
}
