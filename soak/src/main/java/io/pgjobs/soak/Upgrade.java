package io.pgjobs.soak;

import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobClient;
import io.pgjobs.Scheduler;
import java.io.File;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * An upgrade under load (docs/migrations.md, "Upgrading under load"), as a rolling deploy does it: nodes of the
 * previous release ({@link PreviousRelease}) work and enqueue the soak's mix on its schema; the migrations this
 * version adds are applied while they do; nodes of this version start beside them; the old ones are stopped
 * gracefully, one by one; the new ones work on. Then the jobs drain and the soak's {@link InvariantChecker}
 * reads the database: every job final, none completed twice, each cron fire once, limits, rates and circuits
 * kept. {@code --duration} is the whole load, in four equal phases (old nodes; old nodes while and after the
 * migrations run; old and new; new).
 */
public final class Upgrade {
    /**
     * What a run found: the broken invariants; the migration's and each old node's stop as faults (recovered or
     * not); the version the schema started and ended at, and how many migrations were applied (none when this
     * version adds none: then only the code rolls); attempts started by old nodes after the migration, and by new
     * ones; whether each old node stopped by itself; how long the migration took, in tries and in all; the longest
     * a node's statement was seen waiting for a lock while the migrations ran.
     */
    record Result(List<InvariantChecker.Violation> violations, Map<String, SoakReport.FaultCount> steps,
                  String previousSchemaVersion, String schemaVersion, int migrationsApplied,
                  long oldAttemptsAfterMigration, long newAttempts, boolean oldStoppedGracefully,
                  int migrationTries, Duration migration, Duration longestLockWait) {
        boolean passed() {
            return violations.isEmpty() && steps.values().stream().allMatch(f -> f.recovered() == f.injected())
                    && oldAttemptsAfterMigration > 0 && newAttempts > 0 && oldStoppedGracefully;
        }
    }

    /** A rolling deploy tries a migration that gave up on its lock_timeout again; so does this, up to this often. */
    private static final int MIGRATION_TRIES = 3;

    public static void main(String[] args) throws Exception {
        SoakOptions options;
        try {
            options = SoakOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("upgrade: " + e.getMessage());
            System.exit(2);
            return;
        }
        Result result = run(options, repository(), System.out);
        System.out.println(result.passed() ? "UPGRADE PASSED" : "UPGRADE FAILED");
        System.exit(result.passed() ? 0 : 1);
    }

    /** The repository's top directory (this runs in the soak module's directory, or above it). */
    static Path repository() {
        Path here = Path.of("").toAbsolutePath();
        return Files.exists(here.resolve("soak/pom.xml")) ? here : here.getParent();
    }

    static Result run(SoakOptions options, Path repository, PrintStream out) throws Exception {
        String previous = options.previousRelease();
        String previousSchema = PreviousRelease.schemaVersion(repository, previous);
        out.println("[upgrade] " + options + ", from " + previous + " (schema V" + previousSchema + ")");
        String previousClassPath = PreviousRelease.schedulerCoreJar(repository, previous) + File.pathSeparator
                + System.getProperty("java.class.path");
        long phaseMs = options.duration().toMillis() / 4;
        int perNode = Math.max(1, options.jobsPerSecond() / options.nodes());
        long start = System.nanoTime();
        Path logs = Files.createDirectories(Path.of("target", "upgrade-logs"));
        try (SoakDatabase database = options.jdbcUrl() == null ? SoakDatabase.embedded(previousSchema, options.dataDir())
                : SoakDatabase.onServer(options.jdbcUrl(), previousSchema)) {
            List<NodeJvm> oldNodes = new ArrayList<>();
            List<NodeJvm> newNodes = new ArrayList<>();
            ExecutorService threads = Executors.newFixedThreadPool(2); // the connection sampler, the lock watch
            HikariDataSource harness = database.dataSource();
            ConnectionSampler connections = new ConnectionSampler(harness);
            try {
                Future<?> sampling = threads.submit(connections);
                // the old nodes enqueue until they are stopped (a day is never reached); while the first ones wait
                // for the others to start, the cluster has fewer slots than the checker counts: a step of its own
                long oldProducing = TimeUnit.DAYS.toMillis(1);
                long starting = FaultLog.startedWithoutProbe(harness, "START_PREVIOUS", options.nodes() + " nodes");
                for (int i = 1; i <= options.nodes(); i++) {
                    NodeJvm node = new NodeJvm("soak-previous-" + i, harness, database.jdbcUrl(), options.leaseMs(),
                            options.concurrency(), logs, start, previousClassPath,
                            List.of(Integer.toString(perNode), Long.toString(oldProducing)));
                    oldNodes.add(node);
                    node.start();
                }
                FaultLog.endedWithoutProbe(harness, starting);
                out.println("[upgrade] " + oldNodes.size() + " nodes of " + previous
                        + " started, each enqueueing " + perNode + " jobs a second; output in " + logs.toAbsolutePath());
                TimeUnit.MILLISECONDS.sleep(phaseMs); // the old version alone, under load

                // the next version's migrations, applied while the old nodes work
                JobClient client = Scheduler.builder(harness).migrateOnStart(false).buildClient();
                FaultLog steps = new FaultLog(harness, client);
                long migrated = steps.started("MIGRATION", "V" + previousSchema + " to this version's last");
                LockWatch lockWatch = new LockWatch(harness);
                Future<?> watching = threads.submit(lockWatch);
                long migrationStart = System.nanoTime();
                int tries = migrate(database, out);
                Duration migration = Duration.ofNanos(System.nanoTime() - migrationStart);
                watching.cancel(true);
                int applied = (int) FaultLog.queryLong(harness, """
                        select count(*) from pgjobs.pgjobs_schema_history
                        where success and version is not null and version::int > ?""", Long.parseLong(previousSchema));
                if (applied == 0) {
                    out.println("[upgrade] no migration after V" + previousSchema + " in this version: none applied, "
                            + "only the code rolls");
                } else {
                    out.println("[upgrade] migrated to V" + schemaVersion(harness) + " (" + applied
                            + " migrations) in " + migration.toMillis() + " ms (" + tries + " tries); the "
                            + "longest lock wait of a node's statement seen meanwhile: " + lockWatch.longestMs() + " ms");
                }
                steps.ended(migrated);
                TimeUnit.MILLISECONDS.sleep(phaseMs); // the old version on the new schema

                // the new nodes enqueue for two phases from their start, through the old nodes' stops
                long newProducing = 2 * phaseMs;
                for (int i = 1; i <= options.nodes(); i++) {
                    NodeJvm node = new NodeJvm("soak-next-" + i, harness, database.jdbcUrl(), options.leaseMs(),
                            options.concurrency(), logs, start, System.getProperty("java.class.path"),
                            List.of(Integer.toString(perNode), Long.toString(newProducing)));
                    newNodes.add(node);
                    node.start();
                }
                long newProducersEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(newProducing);
                out.println("[upgrade] " + newNodes.size() + " nodes of this version started beside them");
                TimeUnit.MILLISECONDS.sleep(phaseMs); // both versions at once

                boolean graceful = true;
                for (NodeJvm node : oldNodes) {
                    long stop = steps.started("STOP_PREVIOUS", node.nodeId());
                    graceful &= node.stop();
                    steps.ended(stop);
                }
                out.println("[upgrade] the old nodes stopped " + (graceful ? "gracefully" : "(some had to be killed)"));
                TimeUnit.NANOSECONDS.sleep(Math.max(0, newProducersEnd - System.nanoTime())); // the new nodes' load

                client.schedules().pause(SoakJobs.TICK_SCHEDULE);
                Soak.awaitDrained(harness);
                for (NodeJvm node : newNodes) {
                    node.stop();
                }
                sampling.cancel(true);
                List<NodeJvm> all = new ArrayList<>(oldNodes);
                all.addAll(newNodes);
                SoakReport report = new SoakReport(harness);
                report.print(out, all, connections);
                InvariantChecker checker = new InvariantChecker(harness, options.concurrency());
                List<InvariantChecker.Violation> violations = checker.check();
                checker.print(violations, out);
                long oldAfter = FaultLog.queryLong(harness, """
                        select count(*) from pgjobs.attempts where node_id like 'soak-previous-%'
                          and started_at > (select ended_at from soak.faults where id = ?)""", migrated);
                long newAttempts = FaultLog.queryLong(harness,
                        "select count(*) from pgjobs.attempts where node_id like 'soak-next-%'");
                out.println("[upgrade] attempts started by old nodes after the migration: " + oldAfter
                        + "; by new nodes: " + newAttempts + "; " + violations.size() + " violations");
                return new Result(violations, report.faults(), previousSchema, schemaVersion(harness),
                        applied, oldAfter, newAttempts, graceful, tries, migration,
                        Duration.ofMillis(lockWatch.longestMs()));
            } finally {
                threads.shutdownNow();
                for (NodeJvm node : oldNodes) {
                    node.close();
                }
                for (NodeJvm node : newNodes) {
                    node.close();
                }
            }
        }
    }

    /**
     * Applies every migration this version ships, trying again when one gave up on its lock_timeout (a writer's
     * transaction held the table longer), as a deploy would; returns how many tries it took.
     */
    private static int migrate(SoakDatabase database, PrintStream out) {
        for (int tries = 1; ; tries++) {
            try {
                database.migrate(SoakDatabase.LATEST);
                return tries;
            } catch (RuntimeException e) {
                if (tries == MIGRATION_TRIES) {
                    throw e;
                }
                out.println("[upgrade] the migration failed (try " + tries + "), trying again: " + e.getMessage());
            }
        }
    }

    static String schemaVersion(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("""
                select version from pgjobs.pgjobs_schema_history where success and version is not null
                order by installed_rank desc limit 1""");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * Watches the nodes' sessions while the migrations run: the longest a statement of theirs has been running
     * while blocked by another session's lock.
     */
    private static final class LockWatch implements Runnable {
        private final DataSource dataSource;
        private final AtomicLong longestMs = new AtomicLong();

        LockWatch(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        long longestMs() {
            return longestMs.get();
        }

        @Override
        public void run() {
            try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("""
                    select coalesce(max(extract(epoch from clock_timestamp() - query_start) * 1000), 0)::bigint
                    from pg_stat_activity
                    where application_name like 'soak-previous-%' and wait_event_type = 'Lock'
                      and cardinality(pg_blocking_pids(pid)) > 0""")) {
                while (!Thread.currentThread().isInterrupted()) {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        longestMs.accumulateAndGet(rs.getLong(1), Math::max);
                    }
                    TimeUnit.MILLISECONDS.sleep(20); // sampling, until cancelled
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (SQLException e) {
                System.err.println("[upgrade] the lock watch stopped: " + e);
            }
        }
    }

    private Upgrade() {}
}
