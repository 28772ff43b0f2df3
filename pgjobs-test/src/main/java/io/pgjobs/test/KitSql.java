package io.pgjobs.test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The test kit's own SQL, for what pgjobs' public API does not offer because no application should do it: read
 * the database's clock, list the work that is due now, and move waiting jobs' due times. Like the benchmark's,
 * it reads and writes pgjobs' {@code jobs} table directly; it touches nothing but {@code run_at} of jobs that
 * wait for their time ({@code scheduled}, {@code retryable}), a move the state machine allows at any time.
 */
final class KitSql {
    private final DataSource dataSource;
    private final String jobs;

    KitSql(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.jobs = '"' + schema.replace("\"", "\"\"") + "\".jobs";
    }

    /** One job the database would hand to a worker now, or one running. */
    record DueJob(long id, String kind, String queue, String state) {}

    Instant now() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("select now()");
             ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getObject(1, OffsetDateTime.class).toInstant();
        }
    }

    /**
     * The jobs of {@code queues} (all queues if empty) that are running or due now, by id, at most
     * {@code limit}: what a drain waits for.
     */
    List<DueJob> dueOrRunning(Set<String> queues, int limit) throws SQLException {
        String sql = """
                select id, kind, queue, state from %s
                where (state in ('available', 'running')
                       or (state in ('scheduled', 'retryable') and run_at <= now()))
                  and (cardinality(?::text[]) = 0 or queue = any(?::text[]))
                order by id limit ?""".formatted(jobs);
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            var queueArray = c.createArrayOf("text", queues.toArray());
            s.setArray(1, queueArray);
            s.setArray(2, queueArray);
            s.setInt(3, limit);
            List<DueJob> due = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    due.add(new DueJob(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4)));
                }
            }
            return due;
        }
    }

    /** Moves the due time of every job still waiting for it {@code by} earlier; answers how many moved. */
    int moveWaitingJobs(Duration by) throws SQLException {
        String sql = """
                update %s set run_at = run_at - ? * interval '1 microsecond'
                where state in ('scheduled', 'retryable') and run_at > now()""".formatted(jobs);
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setLong(1, by.toSeconds() * 1_000_000 + by.toNanosPart() / 1000);
            return s.executeUpdate();
        }
    }
}
