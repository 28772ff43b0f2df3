package io.pgjobs.internal.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The SQL of metrics and health checks: small, bounded reads that never touch the hot path's rows by lock.
 */
public final class ObservationStore {
    /** Counting a queue's backlog stops here, so a huge backlog costs a bounded index scan. */
    public static final int DEPTH_CAP = 100_000;
    private static final int QUERY_TIMEOUT_SECONDS = 5;

    /** Dead-letter jobs discarded after {@code since} (null: none counted, the baseline), and the database's now. */
    public record DeadLetters(long discarded, Instant now) {}

    private final DataSource dataSource;
    private final String schema;
    private final String queueStatsSql;

    public ObservationStore(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.schema = schema;
        // Both numbers come from the runnable partial index (queue, priority, run_at, id): the depth counts at most
        // DEPTH_CAP entries, and the lag is the one every reader of queue lag shares.
        this.queueStatsSql = """
                select q.name,
                       (select count(*) from (select 1 from %1$s.jobs j
                                              where j.queue = q.name and %2$s and j.run_at <= now()
                                              limit %3$d) due),
                       %4$s
                from unnest(?::text[]) as q(name)
                """.formatted(schema, QueueSql.RUNNABLE, DEPTH_CAP, QueueSql.lagMs(schema, "q.name"));
    }

    public List<QueueStat> queueStats(List<String> queues) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(queueStatsSql)) {
                ps.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                ps.setArray(1, Sql.textArray(connection, queues));
                List<QueueStat> stats = new ArrayList<>(queues.size());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        stats.add(new QueueStat(rs.getString(1), rs.getLong(2), rs.getLong(3)));
                    }
                }
                return stats;
            }
        });
    }

    /** A {@code select 1} that gives up after {@code timeoutSeconds}. */
    public void ping(int timeoutSeconds) throws SQLException {
        Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement("select 1")) {
                ps.setQueryTimeout(timeoutSeconds);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** Counts jobs discarded after {@code since} (over the finished-jobs partial index). */
    public DeadLetters deadLettersSince(Instant since) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement("select (select count(*) from " + schema
                    + ".jobs where state = 'discarded' and finished_at > ?), now()")) {
                ps.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                ps.setTimestamp(1, since == null ? null : Timestamp.from(since));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return new DeadLetters(rs.getLong(1), rs.getTimestamp(2).toInstant());
                }
            }
        });
    }

    /**
     * Leaders in the nodes table ({@code leader_since} set) whose node is live: not stopped, and heartbeating
     * within {@code heartbeatWithinMs}. A crashed or frozen leader's row keeps its mark until another node is
     * elected, so the heartbeat decides whether that mark still means anything.
     */
    public int liveLeaders(long heartbeatWithinMs) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement("select count(*) from " + schema + ".nodes "
                    + "where leader_since is not null and stopped_at is null"
                    + " and heartbeat_at > now() - ? * interval '1 millisecond'")) {
                ps.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                ps.setLong(1, heartbeatWithinMs);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }
}
