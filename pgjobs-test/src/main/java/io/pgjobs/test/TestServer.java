package io.pgjobs.test;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * A PostgreSQL server on which the extension creates databases: the embedded one (started once per JVM and
 * stopped at its exit) or one the test names by URL. It runs only the administrative statements (create and
 * drop database) and hands out pools on the databases it created.
 */
final class TestServer {
    private static TestServer embedded;

    private final String adminUrl;
    private final Properties credentials;

    private TestServer(String adminUrl, Properties credentials) {
        this.adminUrl = adminUrl;
        this.credentials = credentials;
    }

    /** The embedded server shared by every test of this JVM. */
    static synchronized TestServer embedded() {
        if (embedded == null) {
            EmbeddedPostgres pg;
            try {
                // fsync off: a test database need not survive a power cut, and tests create many of them
                pg = EmbeddedPostgres.builder().setServerConfig("fsync", "off").start();
            } catch (IOException e) {
                throw new IllegalStateException("could not start the embedded PostgreSQL: " + e.getMessage(), e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    pg.close();
                } catch (IOException e) {
                    System.err.println("stopping the embedded PostgreSQL failed: " + e);
                }
            }));
            embedded = new TestServer(pg.getJdbcUrl("postgres", "postgres"), new Properties());
        }
        return embedded;
    }

    /** A server reached through {@code adminUrl}, a database on it where {@code user} may create databases. */
    static TestServer at(String adminUrl, String user, String password) {
        if (adminUrl == null || !adminUrl.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("adminUrl: must be a jdbc:postgresql:// URL, got '" + adminUrl + "'");
        }
        Properties credentials = new Properties();
        if (user != null) {
            credentials.setProperty("user", user);
        }
        if (password != null) {
            credentials.setProperty("password", password);
        }
        return new TestServer(adminUrl, credentials);
    }

    void createDatabase(String name, String template) throws SQLException {
        execute("create database " + name + (template == null ? "" : " template " + template));
    }

    void dropDatabase(String name) throws SQLException {
        execute("drop database if exists " + name + " with (force)");
    }

    HikariDataSource pool(String database, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url(database));
        credentials.forEach((key, value) -> config.addDataSourceProperty((String) key, value));
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(0);
        config.setPoolName("pgjobs-test-" + database);
        return new HikariDataSource(config);
    }

    /** The URL of {@code database} on this server: the admin URL with its database name replaced. */
    private String url(String database) {
        int slash = adminUrl.indexOf('/', "jdbc:postgresql://".length());
        int query = adminUrl.indexOf('?', slash);
        return adminUrl.substring(0, slash + 1) + database + (query < 0 ? "" : adminUrl.substring(query));
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(adminUrl, credentials); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
