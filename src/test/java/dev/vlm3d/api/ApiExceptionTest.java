package dev.vlm3d.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.security.ProblemJson;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponse;

/** An ApiException is a Spring ErrorResponse whose body is the whole problem the client gets. */
class ApiExceptionTest {

    @Test
    void theProblemCarriesCodeErrorsPropertiesAndHeaders() {
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.RETRY_AFTER, "60");
        ErrorResponse e = new ApiException(
                HttpStatus.TOO_MANY_REQUESTS,
                "QUEUE_LIMIT_REACHED",
                "too many queued jobs",
                List.of(new ApiException.FieldError("steps", "too many")),
                Map.of("max_queued_jobs", 10),
                headers);
        assertThat(e.getStatusCode()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        assertThat(e.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isEqualTo("60");
        assertThat(e.getBody().getType().toString()).isEqualTo(ProblemJson.type("QUEUE_LIMIT_REACHED"));
        assertThat(e.getBody().getTitle()).isEqualTo("Too Many Requests");
        assertThat(e.getBody().getStatus()).isEqualTo(429);
        assertThat(e.getBody().getDetail()).isEqualTo("too many queued jobs");
        assertThat(e.getBody().getProperties())
                .containsEntry("code", "QUEUE_LIMIT_REACHED")
                .containsEntry("errors", List.of(new ApiException.FieldError("steps", "too many")))
                .containsEntry("max_queued_jobs", 10);
    }

    @Test
    void itsMessageIsTheDetailAndAFieldErrorNamesTheField() {
        ApiException e = ApiException.invalid("INVALID_FIELD", "limit", "limit must be in [1, 100]");
        assertThat(e.getMessage()).isEqualTo("limit must be in [1, 100]");
        assertThat(e.code()).isEqualTo("INVALID_FIELD");
        assertThat(e.errors()).containsExactly(new ApiException.FieldError("limit", "limit must be in [1, 100]"));
        assertThat(e.getBody().getProperties()).doesNotContainKey("max_queued_jobs");
        assertThat(new ApiException(HttpStatus.NOT_FOUND, "JOB_NOT_FOUND", "no job")
                        .getBody()
                        .getProperties())
                .containsOnlyKeys("code");
    }
}
