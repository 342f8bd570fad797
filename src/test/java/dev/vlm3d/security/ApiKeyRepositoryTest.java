package dev.vlm3d.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.testsupport.QueueFixture;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.hibernate.SessionFactory;
import org.hibernate.stat.Statistics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.domain.Sort;

/** The api_keys entity and its repository against the migrated schema of a real PostgreSQL. */
class ApiKeyRepositoryTest {

    private static QueueFixture db;
    private static ApiKeyRepository keys;
    private static Statistics statistics;

    @BeforeAll
    static void setUp() {
        db = new QueueFixture(ApiKeyRepositoryTest.class, QueueFixture.fastProperties(), 12);
        keys = db.repositories.get(ApiKeyRepository.class);
        statistics = db.repositories
                .entityManagerFactory()
                .unwrap(SessionFactory.class)
                .getStatistics();
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        db.clear();
        db.jdbc
                .sql("DELETE FROM api_keys WHERE id <> :owner")
                .param("owner", db.owner)
                .update();
        statistics.clear();
    }

    private static ApiKey newKey(String name, byte[] hash) {
        return new ApiKey(UUID.randomUUID(), name, "vlm3d_abcd", hash, false, 7, 3600L, true, "whsec_current");
    }

    private static byte[] hash(String token) {
        return ApiKeyService.hash(token);
    }

    private Instant databaseNow() {
        return db.jdbc
                .sql("SELECT now()")
                .query(java.time.OffsetDateTime.class)
                .single()
                .toInstant();
    }

    @Test
    void aNewKeyIsOneInsertWithTheDatabaseDefaultsReadBack() {
        Instant before = databaseNow();
        ApiKey saved = keys.save(newKey("client", hash("t1")));

        assertThat(statistics.getEntityInsertCount()).isEqualTo(1);
        assertThat(statistics.getPrepareStatementCount())
                .as("one INSERT … RETURNING created_at: no look-up of the new id first, no read-back after")
                .isEqualTo(1);
        ApiKeyRecord record = saved.toRecord();
        assertThat(record.createdAt()).as("created_at is the column default").isBetween(before, databaseNow());
        assertThat(record.revokedAt()).isNull();
        assertThat(record)
                .extracting(
                        ApiKeyRecord::name,
                        ApiKeyRecord::keyPrefix,
                        ApiKeyRecord::maxQueuedJobs,
                        ApiKeyRecord::defaultTtlSeconds,
                        ApiKeyRecord::allowNoExpiry)
                .containsExactly("client", "vlm3d_abcd", 7, 3600L, true);
        assertThat(db.jdbc
                        .sql("SELECT queued_jobs FROM api_keys WHERE id = :id")
                        .param("id", record.id())
                        .query(Integer.class)
                        .single())
                .as("the trigger-kept count starts at its default")
                .isZero();
    }

    @Test
    void theRequestPathLookUpsAreOneStatementEachAndOpenNoTransaction() {
        ApiKey saved = keys.save(newKey("client", hash("t2")));
        statistics.clear();

        assertThat(keys.findByKeyHashAndRevokedAtIsNull(hash("t2")))
                .map(ApiKey::getId)
                .hasValue(saved.getId());
        assertThat(keys.existsByIdAndWebhookSecretIsNotNull(saved.getId())).isTrue();
        assertThat(statistics.getPrepareStatementCount()).isEqualTo(2);
        assertThat(statistics.getTransactionCount()).isZero();

        assertThat(keys.findByKeyHashAndRevokedAtIsNull(hash("unknown"))).isEmpty();
        assertThat(keys.existsByIdAndWebhookSecretIsNotNull(UUID.randomUUID())).isFalse();
        db.jdbc
                .sql("UPDATE api_keys SET webhook_secret = NULL WHERE id = :id")
                .param("id", saved.getId())
                .update();
        assertThat(keys.existsByIdAndWebhookSecretIsNotNull(saved.getId())).isFalse();
    }

    @Test
    void revokingStampsTheDatabaseTimeOnceAndHidesTheKey() {
        ApiKey saved = keys.save(newKey("client", hash("t3")));
        Instant before = databaseNow();

        assertThat(keys.revoke(saved.getId())).isEqualTo(1);
        assertThat(keys.revoke(saved.getId())).as("already revoked").isZero();
        assertThat(keys.revoke(UUID.randomUUID())).isZero();

        assertThat(keys.findByKeyHashAndRevokedAtIsNull(hash("t3"))).isEmpty();
        Instant revokedAt =
                keys.findById(saved.getId()).orElseThrow().toRecord().revokedAt();
        assertThat(revokedAt).isBetween(before, databaseNow());
    }

    @Test
    void listingIsInCreationOrder() {
        ApiKey first = keys.save(newKey("first", hash("t4")));
        ApiKey second = keys.save(newKey("second", hash("t5")));

        List<String> names = keys.findAll(Sort.by("createdAt", "id")).stream()
                .map(k -> k.toRecord().name())
                .toList();
        assertThat(names).containsSubsequence("first", "second");
        assertThat(first.toRecord().createdAt())
                .isBeforeOrEqualTo(second.toRecord().createdAt());
    }

    @Test
    void onlyKeysOfTheNameWithAnotherHashAreRevoked() {
        ApiKey old = keys.save(newKey("bootstrap-admin", hash("old")));
        ApiKey current = keys.save(newKey("bootstrap-admin", hash("current")));
        ApiKey other = keys.save(newKey("client", hash("other")));

        assertThat(keys.revokeOthersNamed("bootstrap-admin", hash("current"))).isEqualTo(1);

        assertThat(keys.findById(old.getId()).orElseThrow().toRecord().revokedAt())
                .isNotNull();
        assertThat(keys.findById(current.getId()).orElseThrow().toRecord().revokedAt())
                .isNull();
        assertThat(keys.findById(other.getId()).orElseThrow().toRecord().revokedAt())
                .isNull();
    }

    @Test
    void theAdminUpsertReactivatesAKeyAndKeepsItsSigningSecret() {
        UUID id = UUID.randomUUID();
        keys.upsertAdmin(id, "bootstrap-admin", "vlm3d_admi", hash("admin"), 50, "whsec_first");
        keys.revoke(id);

        keys.upsertAdmin(UUID.randomUUID(), "bootstrap-admin", "vlm3d_admi", hash("admin"), 70, "whsec_second");

        ApiKey stored = keys.findByKeyHashAndRevokedAtIsNull(hash("admin")).orElseThrow();
        assertThat(stored.getId())
                .as("the row the hash names, not a second one")
                .isEqualTo(id);
        assertThat(stored.toRecord().admin()).isTrue();
        assertThat(stored.toRecord().maxQueuedJobs()).isEqualTo(70);
        assertThat(stored.webhookSecret()).isEqualTo("whsec_first");
    }

    @Test
    void aRotationKeepsThePreviousSecretForTheOverlapOnTheDatabaseClock() {
        ApiKey saved = keys.save(newKey("client", hash("t6")));
        Instant before = databaseNow();

        ApiKey rotated =
                keys.rotateWebhookSecret(saved.getId(), "whsec_next", 90.5).orElseThrow();

        assertThat(rotated.webhookSecret()).isEqualTo("whsec_next");
        assertThat(rotated.previousWebhookSecret()).isEqualTo("whsec_current");
        assertThat(rotated.previousWebhookSecretExpiresAt())
                .isBetween(before.plusMillis(90_500), databaseNow().plusMillis(90_500));

        ApiKey withoutOverlap =
                keys.rotateWebhookSecret(saved.getId(), "whsec_last", 0).orElseThrow();
        assertThat(withoutOverlap.previousWebhookSecret()).isNull();
        assertThat(withoutOverlap.previousWebhookSecretExpiresAt()).isNull();
        assertThat(keys.findById(saved.getId()).orElseThrow().webhookSecret()).isEqualTo("whsec_last");

        keys.revoke(saved.getId());
        assertThat(keys.rotateWebhookSecret(saved.getId(), "whsec_revoked", 10))
                .as("a revoked key")
                .isEmpty();
        assertThat(keys.rotateWebhookSecret(UUID.randomUUID(), "whsec_unknown", 10))
                .isEmpty();
    }

    /**
     * Concurrent rotations queue on the row: each one replaces the secret the one before it set, so the rotations
     * form one chain and no secret handed out is lost without having been current.
     */
    @Test
    void concurrentRotationsFormOneChain() throws Exception {
        ApiKey saved = keys.save(newKey("client", hash("t7")));
        int rotations = 10;
        ExecutorService pool = Executors.newFixedThreadPool(rotations);
        List<Future<ApiKey>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < rotations; i++) {
                String secret = "whsec_" + i;
                futures.add(pool.submit((Callable<ApiKey>) () ->
                        keys.rotateWebhookSecret(saved.getId(), secret, 60).orElseThrow()));
            }
            Set<String> replaced = new HashSet<>();
            Set<String> set = new HashSet<>();
            for (Future<ApiKey> future : futures) {
                ApiKey rotated = future.get();
                set.add(rotated.webhookSecret());
                assertThat(replaced.add(rotated.previousWebhookSecret()))
                        .as("each secret is replaced once")
                        .isTrue();
            }
            String last = keys.findById(saved.getId()).orElseThrow().webhookSecret();
            Set<String> expectedReplaced = new HashSet<>(set);
            expectedReplaced.remove(last);
            expectedReplaced.add("whsec_current");
            assertThat(replaced).isEqualTo(expectedReplaced);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theSigningSecretsOfAKeyAreReadBackAsStored() {
        ApiKey saved = keys.save(newKey("client", hash("t8")));
        keys.rotateWebhookSecret(saved.getId(), "whsec_next", 30);

        ApiKey loaded = keys.findById(saved.getId()).orElseThrow();
        assertThat(loaded.webhookSecret()).isEqualTo("whsec_next");
        assertThat(loaded.previousWebhookSecret()).isEqualTo("whsec_current");
        assertThat(loaded.previousWebhookSecretExpiresAt())
                .isAfter(databaseNow().plus(Duration.ofSeconds(20)));
    }
}
