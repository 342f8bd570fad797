package dev.vlm3d.api;

import dev.vlm3d.security.ProblemJson;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/**
 * An error answered as problem+json with a stable machine-readable {@code code}. It is one of Spring's own
 * {@link ErrorResponseException}s: its body is the problem ({@link ProblemJson#problem}, with {@code errors} and any
 * further properties), its headers go with it, and {@link ApiExceptionHandler} answers it on the path that answers
 * the framework's exceptions.
 */
public class ApiException extends ErrorResponseException {

    private final String code;
    private final List<FieldError> errors;

    /** One invalid field of a request body. */
    public record FieldError(String field, String message) {}

    public ApiException(HttpStatus status, String code, String detail) {
        this(status, code, detail, List.of(), Map.of(), new HttpHeaders());
    }

    public ApiException(
            HttpStatus status,
            String code,
            String detail,
            List<FieldError> errors,
            Map<String, Object> properties,
            HttpHeaders headers) {
        super(status, ProblemJson.problem(status, code, detail), null);
        this.code = code;
        this.errors = errors;
        if (!errors.isEmpty()) getBody().setProperty("errors", errors);
        properties.forEach(getBody()::setProperty);
        getHeaders().putAll(headers);
    }

    public static ApiException jobNotFound(Object id) {
        return new ApiException(HttpStatus.NOT_FOUND, "JOB_NOT_FOUND", "no job " + id + " visible to this API key");
    }

    public static ApiException invalid(String code, String field, String message) {
        return new ApiException(
                HttpStatus.BAD_REQUEST,
                code,
                message,
                List.of(new FieldError(field, message)),
                Map.of(),
                new HttpHeaders());
    }

    /** The detail: what the problem says to the client. */
    @Override
    public String getMessage() {
        return getBody().getDetail();
    }

    public String code() {
        return code;
    }

    public List<FieldError> errors() {
        return errors;
    }
}
