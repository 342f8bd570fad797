package dev.vlm3d.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.testsupport.QueueFixture;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Key storage and the bootstrap admin key's rotation, against a real PostgreSQL. */
class ApiKeyServiceTest {

    private static QueueFixture db;

    @BeforeAll
    static void setUp() {
        db = new QueueFixture(ApiKeyServiceTest.class, QueueFixture.fastProperties(), 2);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    private ApiKeyService service(String adminKey) {
        return new ApiKeyService(
                db.repositories.get(ApiKeyRepository.class), new SecurityProperties(adminKey, Duration.ZERO, 5, 50));
    }

    @Test
    void keysAreStoredHashedAndRevocable() {
        ApiKeyService keys = service(null);
        CreatedApiKey created = keys.create("client", false, null);

        assertThat(created.token()).startsWith(ApiKeyService.TOKEN_PREFIX);
        assertThat(db.jdbc
                        .sql("SELECT count(*) FROM api_keys WHERE key_hash = :h")
                        .param("h", ApiKeyService.hash(created.token()))
                        .query(Integer.class)
                        .single())
                .isEqualTo(1);
        assertThat(db.jdbc
                        .sql("SELECT count(*) FROM api_keys WHERE position(convert_to(:t, 'UTF8') in key_hash) > 0")
                        .param("t", created.token())
                        .query(Integer.class)
                        .single())
                .isZero();
        assertThat(keys.authenticate(created.token())).hasValueSatisfying(p -> {
            assertThat(p.admin()).isFalse();
            assertThat(p.maxQueuedJobs()).isEqualTo(5);
        });
        assertThat(keys.authenticate(created.token() + "x")).isEmpty();

        assertThat(keys.revoke(created.key().id())).isTrue();
        assertThat(keys.authenticate(created.token())).isEmpty();
    }

    @Test
    void theBootstrapAdminKeyFollowsTheConfiguredCapOnEachStart() {
        new ApiKeyService(
                        db.repositories.get(ApiKeyRepository.class),
                        new SecurityProperties("capped-admin-key", Duration.ZERO, 5, 50))
                .ensureBootstrapAdmin();
        assertThat(service("capped-admin-key").authenticate("capped-admin-key"))
                .hasValueSatisfying(p -> assertThat(p.maxQueuedJobs()).isEqualTo(50));
        new ApiKeyService(
                        db.repositories.get(ApiKeyRepository.class),
                        new SecurityProperties("capped-admin-key", Duration.ZERO, 5, 5000))
                .ensureBootstrapAdmin();
        assertThat(service("capped-admin-key").authenticate("capped-admin-key"))
                .hasValueSatisfying(p -> assertThat(p.maxQueuedJobs()).isEqualTo(5000));
    }

    @Test
    void rotatingTheBootstrapAdminKeyRevokesTheOldOneAndRotatingBackRestoresIt() {
        service("first-admin-key").ensureBootstrapAdmin();
        assertThat(service("first-admin-key").authenticate("first-admin-key"))
                .hasValueSatisfying(p -> assertThat(p.admin()).isTrue());

        service("second-admin-key").ensureBootstrapAdmin();
        assertThat(service("second-admin-key").authenticate("first-admin-key")).isEmpty();
        assertThat(service("second-admin-key").authenticate("second-admin-key")).isPresent();

        service("first-admin-key").ensureBootstrapAdmin();
        assertThat(service("first-admin-key").authenticate("first-admin-key")).isPresent();
        assertThat(service("first-admin-key").authenticate("second-admin-key")).isEmpty();
    }
}
