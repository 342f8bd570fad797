package dev.vlm3d.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What CI requires of the tests' database (.github/workflows/test.yml): no fallback, the declared major version. */
class TestDatabaseTest {

    @Test
    void withoutRequirementsAnyDatabaseDoes() {
        assertThat(TestDatabase.requirementProblem(null, true, 15, null)).isNull();
        assertThat(TestDatabase.requirementProblem(null, false, -1, null)).isNull();
        assertThat(TestDatabase.requirementProblem("", false, -1, "")).isNull();
    }

    @Test
    void localModeRefusesTheTestcontainersFallback() {
        assertThat(TestDatabase.requirementProblem("local", false, -1, null)).contains("no PostgreSQL answers");
        assertThat(TestDatabase.requirementProblem("local", true, 15, null)).isNull();
        assertThat(TestDatabase.requirementProblem("container", true, 15, null)).contains("must be 'local'");
    }

    @Test
    void theRequiredMajorVersionMustBeTheServers() {
        assertThat(TestDatabase.requirementProblem("local", true, 17, "17")).isNull();
        assertThat(TestDatabase.requirementProblem("local", true, 16, "17")).contains("is PostgreSQL 16");
        assertThat(TestDatabase.requirementProblem(null, false, -1, "17")).contains("Testcontainers");
    }
}
