package io.pgjobs.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.internal.store.Migrations;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives a test class its own fresh, migrated PostgreSQL database, copied from a template that is migrated once
 * per JVM (a copy takes milliseconds). Register it as {@code @RegisterExtension static final PgDatabase db = new PgDatabase();}.
 *
 * <p>The server is, in order: the one {@code PGJOBS_TEST_JDBC_URL} points at (a URL of an administrative
 * database with credentials, e.g. {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres&password=pw});
 * a Testcontainers PostgreSQL when the system property {@code pgjobs.test.db=testcontainers} (needs Docker);
 * otherwise an embedded PostgreSQL started once per JVM. Every session runs in a non-UTC time zone
 * ({@value #SESSION_TIME_ZONE}, a +12:45/+13:45 offset) to flush out time-zone bugs.
 *
 * <p>{@link #onOwnServer()} instead starts an embedded server for this class alone, which
 * {@link #restartServer()} can stop and start again (same port, same data) to test recovery, and
 * {@link #crashServer()} can kill and start again (crash recovery).
 */
public final class PgDatabase implements BeforeAllCallback, AfterAllCallback {
    public static final String SESSION_TIME_ZONE = "Pacific/Chatham";
    public static final String SCHEMA = "pgjobs";
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final boolean ownServer;
    private Server server;
    private String name;
    private HikariDataSource dataSource;

    public PgDatabase() {
        this(false);
    }

    private PgDatabase(boolean ownServer) {
        this.ownServer = ownServer;
    }

    /** A database on an embedded server of its own, which the test may restart with {@link #restartServer()}. */
    public static PgDatabase onOwnServer() {
        return new PgDatabase(true);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws SQLException, IOException {
        server = ownServer ? Server.startOwn() : Server.get();
        name = "pgjobs_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        server.execute("create database " + name + " template " + server.template);
        dataSource = server.pool(name, 40);
    }

    @Override
    public void afterAll(ExtensionContext context) throws SQLException, IOException {
        dataSource.close();
        if (ownServer) {
            server.stopOwn();
        } else {
            server.execute("drop database if exists " + name + " with (force)");
        }
    }

    /**
     * Stops this class's own server (fast shutdown: sessions are ended, transactions in flight roll back) and
     * starts it again on the same port and data. Only for {@link #onOwnServer()}.
     */
    public void restartServer() throws IOException {
        requireOwnServer();
        server.stopOwnServer();
        server.startOwnServer();
    }

    /** Stops this class's own server (fast shutdown) until {@link #startServer()}. Only for {@link #onOwnServer()}. */
    public void stopServer() throws IOException {
        requireOwnServer();
        server.stopOwnServer();
    }

    /** Starts this class's own server again after {@link #stopServer()}, on the same port and data. */
    public void startServer() throws IOException {
        requireOwnServer();
        server.startOwnServer();
    }

    private void requireOwnServer() {
        if (!ownServer) {
            throw new IllegalStateException("only a database on its own server can be stopped and started");
        }
    }

    /**
     * Kills this class's own server hard (SIGKILL to the postmaster and every process it started: what is only in
     * its shared memory, such as WAL not yet written out, is lost) and starts it again on the same port and data,
     * which runs crash recovery. Only for {@link #onOwnServer()}.
     */
    public void crashServer() throws IOException {
        requireOwnServer();
        server.crashOwn();
    }

    /** A pool on this class's database. */
    public DataSource dataSource() {
        return dataSource;
    }

    /** A new unpooled connection to this class's database (for tests that must own their connection). */
    public Connection connect() throws SQLException {
        return server.connect(name);
    }

    /** The URL of this class's database, with the credentials other processes need to connect. */
    public String jdbcUrl() {
        return server.url(name);
    }

    /**
     * An empty database (no schema) on this class's server, dropped first if a run left it behind; its URL. For
     * tests that migrate a schema step by step themselves.
     */
    public String emptyDatabase(String database) throws SQLException {
        try (Connection admin = connect(); Statement s = admin.createStatement()) {
            s.execute("drop database if exists " + database);
            s.execute("create database " + database);
        }
        return server.url(database);
    }

    /** Runs a query that returns one number. */
    public long queryLong(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    public void execute(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** A PostgreSQL server with the migrated template database: the one shared by this JVM, or a class's own. */
    private static final class Server {
        private static Server instance;

        private final String adminUrl;
        private final Properties credentials;
        private final String template;
        /** Set for a class's own server: its data directory, port, and the running instance. */
        private Path ownData;
        private int ownPort;
        private EmbeddedPostgres own;

        static synchronized Server get() {
            if (instance == null) {
                try {
                    instance = start();
                } catch (IOException | SQLException e) {
                    throw new IllegalStateException("could not start the test PostgreSQL: " + e.getMessage(), e);
                }
            }
            return instance;
        }

        private static Server start() throws IOException, SQLException {
            String external = System.getenv("PGJOBS_TEST_JDBC_URL");
            if (external != null && !external.isBlank()) {
                return new Server(external, new Properties()).dropTemplateAtExit();
            }
            if ("testcontainers".equals(System.getProperty("pgjobs.test.db"))) {
                var container = new org.testcontainers.containers.PostgreSQLContainer<>("postgres:17-alpine");
                container.start();
                Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
                Properties credentials = new Properties();
                credentials.setProperty("user", container.getUsername());
                credentials.setProperty("password", container.getPassword());
                return new Server(container.getJdbcUrl(), credentials).dropTemplateAtExit();
            }
            EmbeddedPostgres pg = embedded().start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    pg.close();
                } catch (IOException e) {
                    System.err.println("stopping the embedded PostgreSQL failed: " + e);
                }
            }));
            Properties credentials = new Properties();
            credentials.setProperty("user", "postgres");
            return new Server(pg.getJdbcUrl("postgres", "postgres"), credentials).dropTemplateAtExit();
        }

        private static EmbeddedPostgres.Builder embedded() {
            return EmbeddedPostgres.builder()
                    .setServerConfig("max_connections", "400")
                    .setServerConfig("fsync", "off");
        }

        /**
         * A server of a class's own is for recovery tests: its commits are durable, as in production (the
         * library's default is asynchronous), so that a crash loses only what production would lose. fsync stays
         * off: a killed server loses nothing the kernel already has.
         */
        private static EmbeddedPostgres.Builder ownEmbedded() {
            return embedded().setServerConfig("synchronous_commit", "on");
        }

        static Server startOwn() throws IOException, SQLException {
            Path data = Files.createTempDirectory("pgjobs-own-pg");
            int port;
            try (ServerSocket probe = new ServerSocket(0)) {
                port = probe.getLocalPort();
            }
            EmbeddedPostgres pg = ownEmbedded().setDataDirectory(data).setCleanDataDirectory(false).setPort(port).start();
            Properties credentials = new Properties();
            credentials.setProperty("user", "postgres");
            Server server = new Server(pg.getJdbcUrl("postgres", "postgres"), credentials);
            server.ownData = data;
            server.ownPort = port;
            server.own = pg;
            return server;
        }

        synchronized void stopOwnServer() throws IOException {
            own.close();
            own = null;
        }

        synchronized void startOwnServer() throws IOException {
            if (own == null) {
                own = ownEmbedded().setDataDirectory(ownData).setCleanDataDirectory(false).setPort(ownPort).start();
            }
        }

        synchronized void crashOwn() throws IOException {
            // the postmaster's pid is the first line of its pid file (the library starts it through pg_ctl)
            long pid = Long.parseLong(Files.readAllLines(ownData.resolve("postmaster.pid")).getFirst().trim());
            ProcessHandle postmaster = ProcessHandle.of(pid)
                    .orElseThrow(() -> new IllegalStateException("no postmaster with pid " + pid));
            List<ProcessHandle> processes = new ArrayList<>(postmaster.descendants().toList());
            processes.add(postmaster);
            processes.forEach(ProcessHandle::destroyForcibly);
            processes.forEach(process -> process.onExit().join());
            own.close(); // its pg_ctl stop fails (logged); this releases the data directory's lock
            own = ownEmbedded().setDataDirectory(ownData).setCleanDataDirectory(false).setPort(ownPort).start();
        }

        synchronized void stopOwn() throws IOException {
            if (own != null) {
                own.close();
            }
            try (var files = Files.walk(ownData)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> {
                    try {
                        Files.delete(path);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }

        private Server(String adminUrl, Properties credentials) throws SQLException {
            this.adminUrl = adminUrl;
            this.credentials = credentials;
            this.template = "pgjobs_template_" + ProcessHandle.current().pid();
            execute("drop database if exists " + template);
            execute("create database " + template);
            try (HikariDataSource migrationPool = pool(template, 2)) {
                Migrations.migrate(migrationPool, SCHEMA);
            }
        }

        /** Drops the template when the JVM exits (a class's own server is deleted whole instead). */
        private Server dropTemplateAtExit() {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    execute("drop database if exists " + template + " with (force)");
                } catch (SQLException e) {
                    System.err.println("dropping the template database failed: " + e);
                }
            }));
            return this;
        }

        String url(String database) {
            int slash = adminUrl.indexOf('/', "jdbc:postgresql://".length());
            int query = adminUrl.indexOf('?', slash);
            return adminUrl.substring(0, slash + 1) + database + (query < 0 ? "" : adminUrl.substring(query));
        }

        Connection connect(String database) throws SQLException {
            Properties properties = new Properties();
            properties.putAll(credentials);
            properties.setProperty("options", "-c TimeZone=" + SESSION_TIME_ZONE);
            return DriverManager.getConnection(url(database), properties);
        }

        HikariDataSource pool(String database, int size) {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(url(database));
            credentials.forEach((k, v) -> config.addDataSourceProperty((String) k, v));
            config.addDataSourceProperty("options", "-c TimeZone=" + SESSION_TIME_ZONE);
            config.setMaximumPoolSize(size);
            config.setMinimumIdle(0);
            config.setPoolName("test-" + database);
            return new HikariDataSource(config);
        }

        void execute(String sql) throws SQLException {
            try (Connection c = connect(adminDatabase()); Statement s = c.createStatement()) {
                s.execute(sql);
            }
        }

        private String adminDatabase() {
            int slash = adminUrl.indexOf('/', "jdbc:postgresql://".length());
            int query = adminUrl.indexOf('?', slash);
            return query < 0 ? adminUrl.substring(slash + 1) : adminUrl.substring(slash + 1, query);
        }
    }
}
