package io.pgjobs.cluster;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobKind;
import io.pgjobs.Scheduler;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.TimeUnit;

/**
 * A fresh node in a JVM of its own, as an application without schedules, circuit breakers or operator calls runs
 * one: it starts, works off the {@link Noop} jobs already waiting, and closes; {@link ColdNodeClassesTest} reads
 * which classes its JVM loaded. It ends with status 0 once every job it was told of completed, 2 if that took
 * longer than five minutes.
 *
 * <p>Arguments: JDBC URL (with credentials), the number of jobs waiting.
 */
public final class ColdNodeProcess {
    /** The job a cold node works off; it does nothing. */
    @JobKind("test.cold-noop")
    public record Noop(int n) {}

    public static void main(String[] args) throws Exception {
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(args[0]);
        pool.setMaximumPoolSize(10);
        int jobs = Integer.parseInt(args[1]);
        try (HikariDataSource dataSource = new HikariDataSource(pool);
             Scheduler scheduler = Scheduler.builder(dataSource).nodeId("cold-node").queue("default", 16)
                     .migrateOnStart(false).handler(Noop.class, ctx -> null).build()) {
            scheduler.start();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (completed(dataSource) < jobs) {
                if (System.nanoTime() - deadline > 0) {
                    System.exit(2);
                }
                TimeUnit.MILLISECONDS.sleep(50);
            }
        }
    }

    /** Counted in plain JDBC, so that the count itself loads nothing of pgjobs' or jOOQ's. */
    private static long completed(HikariDataSource dataSource) throws Exception {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement ps = connection.prepareStatement(
                     "select count(*) from pgjobs.jobs where state = 'completed'");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private ColdNodeProcess() {}
}
