package dev.vlm3d.testsupport;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Hibernate checks the entities against the schema Flyway migrated and refuses to start on a mismatch, so an entity
 * and a migration cannot drift apart unnoticed.
 */
class JpaRepositoriesTest {

    @Test
    void aColumnAnEntityMapsMissingFromTheSchemaFailsTheStart() {
        try (HikariDataSource dataSource =
                TestDatabase.migratedDataSource(TestDatabase.freshSchema(JpaRepositoriesTest.class), 2)) {
            JdbcClient.create(dataSource)
                    .sql("ALTER TABLE artifacts RENAME COLUMN sha256 TO digest")
                    .update();

            assertThatThrownBy(() -> new JpaRepositories(dataSource).close())
                    .hasStackTraceContaining("missing column [sha256] in table [artifacts]");
        }
    }
}
