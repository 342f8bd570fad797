package dev.vlm3d.api;

import dev.vlm3d.security.ProblemJson;
import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;

/**
 * Replaces Tomcat's HTML error pages: whatever the container refuses itself (a malformed request line or header,
 * an unsupported Transfer-Encoding, CONNECT, a body the connector will not read), and any error that reaches it
 * without a body, is answered as problem+json with a stable code. A request the container cannot serve for the
 * client's fault is never a 5xx: Tomcat's 501 (unknown transfer coding, CONNECT) and 505 become 400/405.
 * Installed as the host's error report valve by {@link ApiConfiguration}.
 */
public class ContainerProblemValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0) return;
        response.setErrorReported();
        AtomicBoolean ioAllowed = new AtomicBoolean(false);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) return;
        String method = request.getMethod();
        String code;
        String title;
        String detail;
        switch (status) {
            case 400 -> {
                code = "MALFORMED_REQUEST";
                title = "Bad Request";
                detail = "the request is not valid HTTP";
            }
            case 404 -> {
                code = "NOT_FOUND";
                title = "Not Found";
                detail = "no such endpoint";
            }
            case 405 -> {
                code = "METHOD_NOT_ALLOWED";
                title = "Method Not Allowed";
                detail = "this method is not supported";
            }
            case 408 -> {
                code = "REQUEST_TIMEOUT";
                title = "Request Timeout";
                detail = "the request was not received in time";
            }
            case 411 -> {
                code = "LENGTH_REQUIRED";
                title = "Length Required";
                detail = "the request needs a Content-Length";
            }
            case 413 -> {
                code = "PAYLOAD_TOO_LARGE";
                title = "Content Too Large";
                detail = "the request body is too large";
            }
            case 414 -> {
                code = "URI_TOO_LONG";
                title = "URI Too Long";
                detail = "the request target is too long";
            }
            case 415 -> {
                code = "UNSUPPORTED_MEDIA_TYPE";
                title = "Unsupported Media Type";
                detail = "unsupported content type";
            }
            case 417 -> {
                code = "EXPECTATION_FAILED";
                title = "Expectation Failed";
                detail = "the Expect header is not supported";
            }
            case 431 -> {
                code = "HEADERS_TOO_LARGE";
                title = "Request Header Fields Too Large";
                detail = "the request headers are too large";
            }
            case 501 -> {
                if ("CONNECT".equalsIgnoreCase(method)) {
                    status = 405;
                    code = "METHOD_NOT_ALLOWED";
                    title = "Method Not Allowed";
                    detail = "CONNECT is not supported";
                } else {
                    status = 400;
                    code = "UNSUPPORTED_TRANSFER_ENCODING";
                    title = "Bad Request";
                    detail = "the request uses a transfer coding this server does not support";
                }
            }
            case 505 -> {
                status = 400;
                code = "MALFORMED_REQUEST";
                title = "Bad Request";
                detail = "unsupported HTTP version";
            }
            case 503 -> {
                code = "SERVICE_UNAVAILABLE";
                title = "Service Unavailable";
                detail = "the service is not available";
            }
            default -> {
                if (status >= 500) {
                    code = "INTERNAL_ERROR";
                    title = "Internal Server Error";
                    detail = "an unexpected error occurred";
                } else {
                    code = "BAD_REQUEST";
                    title = "Bad Request";
                    detail = "the request was refused";
                }
            }
        }
        try {
            response.setStatus(status);
            if (status == 405) response.setHeader("Allow", "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
            response.setContentType("application/problem+json");
            response.setCharacterEncoding("UTF-8");
            Writer writer = response.getReporter();
            if (writer != null) {
                ProblemDetail problem = ProblemJson.problem(HttpStatusCode.valueOf(status), code, detail);
                problem.setTitle(title);
                writer.write(ProblemJson.json(problem));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client is gone or the response cannot be written: nothing more to do
        }
    }
}
