package io.pgjobs.soak;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import org.flywaydb.core.Flyway;

/**
 * The soak's database: a fresh database {@code pgjobs_soak_<pid>} on the server of a given administrative URL
 * (dropped at the end), or on an embedded server the soak owns and may restart. Holds pgjobs' schema and the
 * soak's own tables in schema {@code soak}. An embedded server's data directory is deleted at the end, unless the
 * run was given one ({@code --data-dir}): that one is kept, so that the checker can read a run again
 * ({@link Recheck}).
 */
final class SoakDatabase implements AutoCloseable {
    private static final String NAME_PREFIX = "pgjobs_soak_";

    private final String adminUrl;
    private final String name;
    /** Set when the soak owns an embedded server: its data directory, port and running instance. */
    private final Path ownData;
    private final int ownPort;
    private EmbeddedPostgres own;
    /** Whether the embedded server's data directory stays when the soak ends. */
    private final boolean keepData;
    private HikariDataSource pool;

    private SoakDatabase(String adminUrl, String name, Path ownData, int ownPort, EmbeddedPostgres own,
                         boolean keepData) {
        this.adminUrl = adminUrl;
        this.name = name;
        this.ownData = ownData;
        this.ownPort = ownPort;
        this.own = own;
        this.keepData = keepData;
    }

    private static String newName() {
        return NAME_PREFIX + ProcessHandle.current().pid();
    }

    /** pgjobs' migrations, as an application's own Flyway applies them (docs/migrations.md). */
    static final String MIGRATIONS = "classpath:io/pgjobs/migrations";
    /** Flyway's target for every migration this version of pgjobs ships. */
    static final String LATEST = "latest";

    /** A database on the server of {@code adminUrl} (an administrative database's URL, with credentials). */
    static SoakDatabase onServer(String adminUrl) throws SQLException {
        return onServer(adminUrl, LATEST);
    }

    /** The same, with pgjobs' schema migrated up to version {@code target} only (Flyway's target). */
    static SoakDatabase onServer(String adminUrl, String target) throws SQLException {
        return new SoakDatabase(adminUrl, newName(), null, 0, null, false).create(target);
    }

    /** A database on an embedded server of the soak's own, which {@link #restartServer()} may restart. */
    static SoakDatabase embedded() throws IOException, SQLException {
        return embedded(LATEST);
    }

    /** The same, with pgjobs' schema migrated up to version {@code target} only (Flyway's target). */
    static SoakDatabase embedded(String target) throws IOException, SQLException {
        return embedded(target, null);
    }

    /**
     * The same, the server's data in {@code keptData} (a directory that does not exist yet, or is empty), which
     * stays when the soak ends; in a temporary directory, deleted at the end, when null.
     */
    static SoakDatabase embedded(String target, Path keptData) throws IOException, SQLException {
        Path data;
        if (keptData == null) {
            data = Files.createTempDirectory("pgjobs-soak-pg");
        } else {
            if (Files.exists(keptData)) {
                try (var entries = Files.list(keptData)) {
                    if (entries.findAny().isPresent()) {
                        throw new IllegalArgumentException("--data-dir must be a new or empty directory: " + keptData
                                + " holds files (a run's data is read again with " + Recheck.class.getName() + ")");
                    }
                }
            }
            data = Files.createDirectories(keptData);
        }
        int port = freePort();
        EmbeddedPostgres pg = server(data, port);
        return new SoakDatabase(pg.getJdbcUrl("postgres", "postgres"), newName(), data, port, pg, keptData != null)
                .create(target);
    }

    /** The soak database a run left in {@code keptData} (its {@code --data-dir}), on an embedded server started on it. */
    static SoakDatabase kept(Path keptData) throws IOException, SQLException {
        int port = freePort();
        EmbeddedPostgres pg = server(keptData, port);
        String adminUrl = pg.getJdbcUrl("postgres", "postgres");
        String name;
        try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement();
             var rs = s.executeQuery("select datname from pg_database where datname like '" + NAME_PREFIX + "%'")) {
            if (!rs.next()) {
                pg.close();
                throw new IllegalArgumentException(keptData + " holds no soak database (" + NAME_PREFIX + "<pid>)");
            }
            name = rs.getString(1);
        }
        SoakDatabase database = new SoakDatabase(adminUrl, name, keptData, port, pg, true);
        database.pool = database.pool("soak-recheck", 4);
        return database;
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }

    private static EmbeddedPostgres server(Path data, int port) throws IOException {
        return EmbeddedPostgres.builder()
                .setDataDirectory(data)
                .setCleanDataDirectory(false)
                .setPort(port)
                .setServerConfig("max_connections", "300")
                // the checker reads when each enqueue committed (ordered keys: InvariantChecker.ORDERED_JOBS)
                .setServerConfig("track_commit_timestamp", "on")
                .start();
    }

    private SoakDatabase create(String target) throws SQLException {
        try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement()) {
            s.execute("drop database if exists " + name + " with (force)");
            s.execute("create database " + name);
        }
        pool = pool("soak-harness", 10);
        migrate(target);
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("""
                    create schema soak;
                    -- the producers' record of what they enqueued, written in the enqueue's own transaction
                    create table soak.enqueued (job_id bigint primary key);
                    -- the handlers' append-only log, one row per run of an attempt, in the handler's own transaction
                    create table soak.executions (
                        job_id bigint not null, attempt int not null, node text not null, checkpoint int,
                        at timestamptz not null default clock_timestamp());
                    create index on soak.executions (job_id);
                    -- the rows the transfers update, each in a transaction held open for a while
                    create table soak.accounts (id int primary key, transfers bigint not null default 0);
                    insert into soak.accounts (id) select generate_series(0, %d);
                    -- every change of a circuit's state or probe, with the database's time
                    create table soak.circuit_log (
                        id bigint generated always as identity primary key, kind text not null, state text not null,
                        probe_job_id bigint, at timestamptz not null default clock_timestamp());
                    create function soak.log_circuit() returns trigger language plpgsql as $$
                    begin
                        if tg_op = 'INSERT' or new.state is distinct from old.state
                           or new.probe_job_id is distinct from old.probe_job_id then
                            insert into soak.circuit_log (kind, state, probe_job_id)
                            values (new.kind, new.state, new.probe_job_id);
                        end if;
                        return null;
                    end
                    $$;
                    create trigger log_circuit after insert or update on pgjobs.circuits
                        for each row execute function soak.log_circuit();
                    -- each incarnation of a node's JVM, in the database's time: when it was launched, when its
                    -- scheduler had started (the node's ready line), and when it was stopped or killed
                    create table soak.node_runs (
                        id bigint generated always as identity primary key, node text not null,
                        launched_at timestamptz not null, ready_at timestamptz, ended_at timestamptz);
                    -- each fault the injector caused, in the database's time
                    create table soak.faults (
                        id bigint generated always as identity primary key, kind text not null, target text,
                        started_at timestamptz not null, ended_at timestamptz, recovered_at timestamptz);
                    """.formatted(SoakJobs.ACCOUNTS - 1));
        }
        return this;
    }

    /** Applies pgjobs' migrations up to {@code target} ({@value #LATEST} for all), as an application's Flyway would. */
    void migrate(String target) {
        Flyway.configure(SoakDatabase.class.getClassLoader())
                .dataSource(pool)
                .schemas("pgjobs").defaultSchema("pgjobs")
                .table("pgjobs_schema_history")
                .locations(MIGRATIONS)
                .target(target)
                .load().migrate();
    }

    boolean ownsServer() {
        return own != null;
    }

    /** The soak database's URL with the credentials a node needs. */
    String jdbcUrl() {
        int slash = adminUrl.indexOf('/', "jdbc:postgresql://".length());
        int query = adminUrl.indexOf('?', slash);
        return adminUrl.substring(0, slash + 1) + name + (query < 0 ? "" : adminUrl.substring(query));
    }

    /** The harness's pool (producers, injector, checker); its sessions are named {@code soak-harness}. */
    HikariDataSource dataSource() {
        return pool;
    }

    HikariDataSource pool(String applicationName, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl());
        config.addDataSourceProperty("ApplicationName", applicationName);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(5000);
        config.setPoolName(applicationName);
        return new HikariDataSource(config);
    }

    /** Fast shutdown (sessions ended, transactions in flight rolled back), then the same server started again. */
    synchronized void restartServer() throws IOException {
        if (own == null) {
            throw new IllegalStateException("only an embedded server the soak owns can be restarted");
        }
        own.close();
        own = server(ownData, ownPort);
    }

    @Override
    public synchronized void close() throws IOException, SQLException {
        pool.close();
        if (own != null && keepData) {
            own.close();
            FaultLog.log("the server's data is kept in " + ownData.toAbsolutePath() + " (read it again with "
                    + Recheck.class.getName() + ")");
        } else if (own != null) {
            own.close();
            try (var files = Files.walk(ownData)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> {
                    try {
                        Files.delete(path);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        } else {
            try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement()) {
                s.execute("drop database if exists " + name + " with (force)");
            }
        }
    }
}
