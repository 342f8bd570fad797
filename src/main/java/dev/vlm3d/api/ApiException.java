package dev.vlm3d.api;

import java.util.List;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/** An error answered as problem+json with a stable machine-readable {@code code}. */
public class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final String code;
    private final List<FieldError> errors;
    private final Map<String, Object> properties;
    private final HttpHeaders headers;

    /** One invalid field of a request body. */
    public record FieldError(String field, String message) {
    }

    public ApiException(HttpStatus status, String code, String detail) {
        this(status, code, detail, List.of(), Map.of(), new HttpHeaders());
    }

    public ApiException(HttpStatus status, String code, String detail, List<FieldError> errors,
                        Map<String, Object> properties, HttpHeaders headers) {
        super(detail);
        this.status = status;
        this.code = code;
        this.errors = errors;
        this.properties = properties;
        this.headers = headers;
    }

    public static ApiException jobNotFound(Object id) {
        return new ApiException(HttpStatus.NOT_FOUND, "JOB_NOT_FOUND", "no job " + id + " visible to this API key");
    }

    public static ApiException invalid(String code, String field, String message) {
        return new ApiException(HttpStatus.BAD_REQUEST, code, message, List.of(new FieldError(field, message)), Map.of(),
                new HttpHeaders());
    }

    public HttpStatus status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<FieldError> errors() {
        return errors;
    }

    public Map<String, Object> properties() {
        return properties;
    }

    public HttpHeaders headers() {
        return headers;
    }
}
