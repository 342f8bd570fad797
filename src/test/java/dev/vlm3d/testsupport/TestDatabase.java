package dev.vlm3d.testsupport;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import org.flywaydb.core.Flyway;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The one place that decides which PostgreSQL the tests use: the local server on 127.0.0.1:5432 (database
 * {@code test}, user {@code postgres}) when it answers, a Testcontainers PostgreSQL otherwise. Every test class
 * gets its own schema, named after the class and this JVM's pid so concurrent builds on one server do not collide,
 * and dropped when the JVM exits.
 */
public final class TestDatabase {

    /** The database the tests use on the local server. */
    public static final String LOCAL_DATABASE = "test";

    private static final String LOCAL_URL = "jdbc:postgresql://127.0.0.1:5432/" + LOCAL_DATABASE;
    private static final String LOCAL_USER = "postgres";
    private static String url;
    private static String user;
    private static String password;
    private static PostgreSQLContainer container;

    private TestDatabase() {}

    /**
     * {@code local}: the local server must answer (no Testcontainers fallback). CI sets it, with
     * {@link #REQUIRED_MAJOR_ENV}, so that the PostgreSQL its workflow declares is the one the tests ran against
     * (.github/workflows/test.yml).
     */
    public static final String MODE_ENV = "VLM3D_TEST_DATABASE";
    /** The major version the server must have, e.g. {@code 17}; unchecked when unset. */
    public static final String REQUIRED_MAJOR_ENV = "VLM3D_TEST_POSTGRES_MAJOR";

    private static synchronized void init() {
        if (url != null) return;
        boolean reachable = localReachable();
        String problem = requirementProblem(
                System.getenv(MODE_ENV),
                reachable,
                reachable ? localMajorVersion() : -1,
                System.getenv(REQUIRED_MAJOR_ENV));
        if (problem != null) throw new IllegalStateException(problem);
        if (reachable) {
            url = LOCAL_URL;
            user = LOCAL_USER;
            password = "";
            return;
        }
        container = new PostgreSQLContainer("postgres:16-alpine");
        container.start();
        url = container.getJdbcUrl();
        user = container.getUsername();
        password = container.getPassword();
    }

    /**
     * Why the database at hand does not meet what the environment requires ({@link #MODE_ENV}, {@link
     * #REQUIRED_MAJOR_ENV}), or null when it does.
     */
    public static String requirementProblem(String mode, boolean localReachable, int localMajor, String requiredMajor) {
        if (mode != null && !mode.isBlank() && !mode.equals("local")) {
            return MODE_ENV + " must be 'local' or unset, not '" + mode + "'";
        }
        boolean local = "local".equals(mode);
        if (local && !localReachable) {
            return MODE_ENV + "=local but no PostgreSQL answers at " + LOCAL_URL + " (user " + LOCAL_USER + ")";
        }
        if (requiredMajor != null && !requiredMajor.isBlank()) {
            if (!localReachable) {
                return REQUIRED_MAJOR_ENV + "=" + requiredMajor
                        + " but the tests would run on Testcontainers' PostgreSQL";
            }
            if (!requiredMajor.trim().equals(Integer.toString(localMajor))) {
                return REQUIRED_MAJOR_ENV + "=" + requiredMajor + " but the server at " + LOCAL_URL + " is PostgreSQL "
                        + localMajor;
            }
        }
        return null;
    }

    private static int localMajorVersion() {
        Properties props = new Properties();
        props.setProperty("user", LOCAL_USER);
        try (Connection c = DriverManager.getConnection(LOCAL_URL, props);
                Statement s = c.createStatement();
                java.sql.ResultSet rs = s.executeQuery("SHOW server_version_num")) {
            rs.next();
            return Integer.parseInt(rs.getString(1).trim()) / 10000;
        } catch (SQLException | NumberFormatException e) {
            return -1;
        }
    }

    private static boolean localReachable() {
        Properties props = new Properties();
        props.setProperty("user", LOCAL_USER);
        props.setProperty("connectTimeout", "2");
        props.setProperty("loginTimeout", "3");
        try (Connection c = DriverManager.getConnection(LOCAL_URL, props)) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    /** A fresh, empty schema for one test class. */
    public static String freshSchema(Class<?> testClass) {
        init();
        String schema = ("svc_" + testClass.getSimpleName() + "_"
                        + ProcessHandle.current().pid())
                .toLowerCase(Locale.ROOT);
        execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE", "CREATE SCHEMA " + schema);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            } catch (RuntimeException ignored) {
                // the server may already be gone at JVM exit
            }
        }));
        return schema;
    }

    public static String url(String schema) {
        init();
        return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    public static String user() {
        init();
        return user;
    }

    public static String password() {
        init();
        return password;
    }

    /** A pooled data source whose connections work in {@code schema}, with the service's migrations applied. */
    public static HikariDataSource migratedDataSource(String schema, int poolSize) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url(schema));
        config.setUsername(user());
        config.setPassword(password());
        config.setMaximumPoolSize(poolSize);
        HikariDataSource dataSource = new HikariDataSource(config);
        Flyway.configure()
                .dataSource(dataSource)
                .schemas(schema)
                .defaultSchema(schema)
                .locations("classpath:db/migration")
                .load()
                .migrate();
        return dataSource;
    }

    /** Points a Spring test context at its own schema. */
    public static void register(DynamicPropertyRegistry registry, String schema) {
        registry.add("spring.datasource.url", () -> url(schema));
        registry.add("spring.datasource.username", TestDatabase::user);
        registry.add("spring.datasource.password", TestDatabase::password);
        registry.add("spring.flyway.schemas", () -> schema);
        registry.add("spring.flyway.default-schema", () -> schema);
    }

    private static void execute(String... statements) {
        try (Connection c = DriverManager.getConnection(url, user, password);
                Statement s = c.createStatement()) {
            for (String sql : statements) s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
