package dev.vlm3d.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.testsupport.ContractClient;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.mock.web.MockHttpServletResponse;
import tools.jackson.databind.JsonNode;

/** The problems filters write: the members MVC's problems have, the title from the status, the JSON escaped. */
class ProblemJsonTest {

    @Test
    void aFilterProblemHasTypeTitleStatusDetailInstanceAndCode() throws Exception {
        MockHttpServletResponse response = new MockHttpServletResponse();
        ProblemJson.write(response, 413, "PAYLOAD_TOO_LARGE", "the body is \"large\"\n", "/jobs");
        assertThat(response.getStatus()).isEqualTo(413);
        assertThat(response.getContentType()).isEqualTo("application/problem+json;charset=UTF-8");
        JsonNode problem = ContractClient.json().readTree(response.getContentAsString());
        assertThat(problem.propertyNames())
                .containsExactlyInAnyOrder("type", "title", "status", "detail", "instance", "code");
        assertThat(problem.get("type").stringValue()).isEqualTo("https://vlm3d.dev/problems/payload-too-large");
        assertThat(problem.get("title").stringValue()).isEqualTo("Content Too Large");
        assertThat(problem.get("status").intValue()).isEqualTo(413);
        assertThat(problem.get("detail").stringValue()).isEqualTo("the body is \"large\"\n");
        assertThat(problem.get("instance").stringValue()).isEqualTo("/jobs");
        assertThat(problem.get("code").stringValue()).isEqualTo("PAYLOAD_TOO_LARGE");
    }

    @Test
    void withoutAnInstanceItIsLeftOut() throws Exception {
        MockHttpServletResponse response = new MockHttpServletResponse();
        ProblemJson.write(response, 400, "NON_CANONICAL_PATH", "the path has a dot segment", null);
        JsonNode problem = ContractClient.json().readTree(response.getContentAsString());
        assertThat(problem.has("instance")).isFalse();
        assertThat(problem.get("title").stringValue()).isEqualTo("Bad Request");
    }

    @Test
    void theProblemOfTheApiIsTheSameModel() {
        var problem = ProblemJson.problem(HttpStatus.UNAUTHORIZED, "INVALID_API_KEY", "unknown key");
        assertThat(problem.getType().toString()).isEqualTo(ProblemJson.type("INVALID_API_KEY"));
        assertThat(problem.getTitle()).isEqualTo("Unauthorized");
        assertThat(problem.getProperties()).containsEntry("code", "INVALID_API_KEY");
    }
}
