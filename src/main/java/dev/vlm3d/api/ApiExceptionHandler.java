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
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingRequestHeaderException;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.ServletRequestBindingException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.async.AsyncRequestTimeoutException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/** Every error of the API as RFC 9457 problem+json with a stable {@code code}. */
@RestControllerAdvice
class ApiExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    @ExceptionHandler(ApiException.class)
    ResponseEntity<ProblemDetail> api(ApiException e, HttpServletRequest request) {
        ProblemDetail problem = problem(e.status(), e.code(), e.getMessage(), request);
        if (!e.errors().isEmpty()) problem.setProperty("errors", e.errors());
        e.properties().forEach(problem::setProperty);
        return respond(problem, e.headers());
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<ProblemDetail> unreadable(HttpMessageNotReadableException e, HttpServletRequest request) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RequestLimitFilter.BodyTooLargeException tooLarge) {
                return respond(problem(HttpStatus.CONTENT_TOO_LARGE, "PAYLOAD_TOO_LARGE", tooLarge.getMessage(), request), null);
            }
        }
        return respond(problem(HttpStatus.BAD_REQUEST, "MALFORMED_JSON", "the request body is not valid JSON", request), null);
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<ProblemDetail> mediaType(HttpMediaTypeNotSupportedException e, HttpServletRequest request) {
        return respond(problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE",
                "send the body as application/json", request), null);
    }

    @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
    ResponseEntity<ProblemDetail> notAcceptable(HttpMediaTypeNotAcceptableException e, HttpServletRequest request) {
        return respond(problem(HttpStatus.NOT_ACCEPTABLE, "NOT_ACCEPTABLE", e.getMessage(), request), null);
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    ResponseEntity<ProblemDetail> method(HttpRequestMethodNotSupportedException e, HttpServletRequest request) {
        HttpHeaders headers = new HttpHeaders();
        if (e.getSupportedHttpMethods() != null) headers.setAllow(e.getSupportedHttpMethods());
        return respond(problem(HttpStatus.METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", e.getMessage(), request), headers);
    }

    @ExceptionHandler(NoResourceFoundException.class)
    ResponseEntity<ProblemDetail> noRoute(NoResourceFoundException e, HttpServletRequest request) {
        return respond(problem(HttpStatus.NOT_FOUND, "NOT_FOUND", "no such endpoint", request), null);
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<ProblemDetail> typeMismatch(MethodArgumentTypeMismatchException e, HttpServletRequest request) {
        ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "INVALID_FIELD", e.getName() + " has an invalid value", request);
        problem.setProperty("errors", List.of(new ApiException.FieldError(e.getName(), e.getName() + " has an invalid value")));
        return respond(problem, null);
    }

    @ExceptionHandler({MissingServletRequestParameterException.class, MissingRequestHeaderException.class})
    ResponseEntity<ProblemDetail> missing(Exception e, HttpServletRequest request) {
        return respond(problem(HttpStatus.BAD_REQUEST, "INVALID_FIELD", e.getMessage(), request), null);
    }

    @ExceptionHandler(JobRepository.InvalidCursorException.class)
    ResponseEntity<ProblemDetail> cursor(JobRepository.InvalidCursorException e, HttpServletRequest request) {
        return respond(problem(HttpStatus.BAD_REQUEST, "INVALID_CURSOR", "cursor is not one this API returned", request), null);
    }

    /** An SSE stream reached its time limit: nothing to answer, the client reconnects. */
    @ExceptionHandler(AsyncRequestTimeoutException.class)
    void sseTimeout() {
    }

    /**
     * Any other error Spring MVC itself raises about a request (binding, conversion, missing parts, ...): it knows
     * its status; a 4xx is the client's and answered with a code for that status, never a 500.
     */
    @ExceptionHandler(ErrorResponseException.class)
    ResponseEntity<ProblemDetail> spring(ErrorResponseException e, HttpServletRequest request) {
        return springError(e, e.getStatusCode().value(), request);
    }

    @ExceptionHandler(MultipartException.class)
    ResponseEntity<ProblemDetail> multipart(MultipartException e, HttpServletRequest request) {
        return respond(problem(HttpStatus.BAD_REQUEST, "MALFORMED_REQUEST", "the multipart body cannot be read", request), null);
    }

    @ExceptionHandler(ServletRequestBindingException.class)
    ResponseEntity<ProblemDetail> binding(ServletRequestBindingException e, HttpServletRequest request) {
        return springError(e, e.getStatusCode().value(), request);
    }

    private ResponseEntity<ProblemDetail> springError(Exception e, int status, HttpServletRequest request) {
        HttpStatus resolved = HttpStatus.resolve(status);
        if (resolved == null || resolved.is5xxServerError()) return unexpected(e, request);
        String code = switch (status) {
            case 404 -> "NOT_FOUND";
            case 405 -> "METHOD_NOT_ALLOWED";
            case 406 -> "NOT_ACCEPTABLE";
            case 413 -> "PAYLOAD_TOO_LARGE";
            case 415 -> "UNSUPPORTED_MEDIA_TYPE";
            default -> "BAD_REQUEST";
        };
        return respond(problem(resolved, code, "the request was refused (" + resolved.getReasonPhrase() + ")", request), null);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e, HttpServletRequest request) {
        log.error("unexpected error on {} {}", request.getMethod(), request.getRequestURI(), e);
        return respond(problem(HttpStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "an unexpected error occurred", request), null);
    }

    private static ProblemDetail problem(HttpStatus status, String code, String detail, HttpServletRequest request) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(ProblemJson.type(code)));
        problem.setInstance(URI.create(request.getRequestURI()));
        problem.setProperty("code", code);
        return problem;
    }

    private static ResponseEntity<ProblemDetail> respond(ProblemDetail problem, HttpHeaders headers) {
        ResponseEntity.BodyBuilder builder = ResponseEntity.status(problem.getStatus())
                .contentType(MediaType.APPLICATION_PROBLEM_JSON);
        if (headers != null) builder.headers(headers);
        return builder.body(problem);
    }
}
