package dev.vlm3d.api;

import dev.vlm3d.jobs.JobRepository;
import dev.vlm3d.security.ProblemJson;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingRequestHeaderException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.context.request.async.AsyncRequestTimeoutException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * Every error of the API as RFC 9457 problem+json with a stable {@code code}. The exceptions Spring MVC raises about a
 * request and {@link ApiException} (one of them: an {@link org.springframework.web.ErrorResponseException}) take the
 * framework's one path, {@link ResponseEntityExceptionHandler#handleExceptionInternal}, which this class answers: an
 * {@link ApiException} with the problem it carries, the framework's own with a code for what went wrong. A 4xx is the
 * client's and answered as such, never a 500; anything else is {@link #unexpected}.
 */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    @Override
    protected ResponseEntity<Object> handleExceptionInternal(
            Exception e, Object body, HttpHeaders headers, HttpStatusCode status, WebRequest webRequest) {
        HttpServletRequest request = ((NativeWebRequest) webRequest).getNativeRequest(HttpServletRequest.class);
        if (e instanceof ApiException api) {
            return respond(api.getBody(), api.getHeaders(), request);
        }
        if (e instanceof HttpMessageNotReadableException) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof RequestLimitFilter.BodyTooLargeException tooLarge) {
                    return respond(HttpStatus.CONTENT_TOO_LARGE, "PAYLOAD_TOO_LARGE", tooLarge.getMessage(), request);
                }
            }
            return respond(HttpStatus.BAD_REQUEST, "MALFORMED_JSON", "the request body is not valid JSON", request);
        }
        if (e instanceof HttpMediaTypeNotSupportedException) {
            return respond(
                    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                    "UNSUPPORTED_MEDIA_TYPE",
                    "send the body as application/json",
                    request);
        }
        if (e instanceof HttpMediaTypeNotAcceptableException) {
            return respond(HttpStatus.NOT_ACCEPTABLE, "NOT_ACCEPTABLE", e.getMessage(), request);
        }
        if (e instanceof HttpRequestMethodNotSupportedException method) {
            HttpHeaders allow = new HttpHeaders();
            if (method.getSupportedHttpMethods() != null) allow.setAllow(method.getSupportedHttpMethods());
            return respond(
                    ProblemJson.problem(HttpStatus.METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", e.getMessage()),
                    allow,
                    request);
        }
        if (e instanceof NoResourceFoundException) {
            return respond(HttpStatus.NOT_FOUND, "NOT_FOUND", "no such endpoint", request);
        }
        if (e instanceof MethodArgumentTypeMismatchException mismatch) {
            String detail = mismatch.getName() + " has an invalid value";
            ProblemDetail problem = ProblemJson.problem(HttpStatus.BAD_REQUEST, "INVALID_FIELD", detail);
            problem.setProperty("errors", List.of(new ApiException.FieldError(mismatch.getName(), detail)));
            return respond(problem, null, request);
        }
        if (e instanceof MissingServletRequestParameterException || e instanceof MissingRequestHeaderException) {
            return respond(HttpStatus.BAD_REQUEST, "INVALID_FIELD", e.getMessage(), request);
        }
        if (e instanceof MultipartException) {
            return multipart(request);
        }
        HttpStatus resolved = HttpStatus.resolve(status.value());
        if (resolved == null || resolved.is5xxServerError()) {
            return unexpected(e, request);
        }
        String code = switch (resolved) {
            case NOT_FOUND -> "NOT_FOUND";
            case METHOD_NOT_ALLOWED -> "METHOD_NOT_ALLOWED";
            case NOT_ACCEPTABLE -> "NOT_ACCEPTABLE";
            case CONTENT_TOO_LARGE -> "PAYLOAD_TOO_LARGE";
            case UNSUPPORTED_MEDIA_TYPE -> "UNSUPPORTED_MEDIA_TYPE";
            default -> "BAD_REQUEST";
        };
        return respond(resolved, code, "the request was refused (" + resolved.getReasonPhrase() + ")", request);
    }

    /** An SSE stream reached its time limit: nothing to answer, the client reconnects. */
    @Override
    protected ResponseEntity<Object> handleAsyncRequestTimeoutException(
            AsyncRequestTimeoutException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        return null;
    }

    @ExceptionHandler(JobRepository.InvalidCursorException.class)
    ResponseEntity<Object> cursor(JobRepository.InvalidCursorException e, HttpServletRequest request) {
        return respond(HttpStatus.BAD_REQUEST, "INVALID_CURSOR", "cursor is not one this API returned", request);
    }

    /** A multipart body that cannot be read (the framework answers only an oversized one, and that as 413). */
    @ExceptionHandler(MultipartException.class)
    ResponseEntity<Object> multipart(HttpServletRequest request) {
        return respond(HttpStatus.BAD_REQUEST, "MALFORMED_REQUEST", "the multipart body cannot be read", request);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<Object> unexpected(Exception e, HttpServletRequest request) {
        log.error("unexpected error on {} {}", request.getMethod(), request.getRequestURI(), e);
        return respond(HttpStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "an unexpected error occurred", request);
    }

    private static ResponseEntity<Object> respond(
            HttpStatus status, String code, String detail, HttpServletRequest request) {
        return respond(ProblemJson.problem(status, code, detail), null, request);
    }

    private static ResponseEntity<Object> respond(
            ProblemDetail problem, HttpHeaders headers, HttpServletRequest request) {
        problem.setInstance(URI.create(request.getRequestURI()));
        ResponseEntity.BodyBuilder builder =
                ResponseEntity.status(problem.getStatus()).contentType(MediaType.APPLICATION_PROBLEM_JSON);
        if (headers != null) builder.headers(headers);
        return builder.body(problem);
    }
}
