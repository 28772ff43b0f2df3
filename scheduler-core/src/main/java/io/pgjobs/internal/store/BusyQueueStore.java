package io.pgjobs.internal.store;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * The queues a node polls on its own (V43's {@code busy_queues}): a fetcher that keeps finding work says until
 * when (database time) it will poll its queue every few milliseconds, and while any node's promise for a queue
 * holds, an enqueue into it sends no notification ({@link #notifyGuardSql}), whose server-wide lock would make the
 * enqueuing transactions commit one at a time. docs/architecture.md ("The wake-up") has the reasoning and its races.
 */
public final class BusyQueueStore {
    private final DataSource dataSource;
    private final String promiseSql;
    private final String withdrawSql;
    private final String cleanupSql;

    public BusyQueueStore(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.promiseSql = """
                insert into %1$s.busy_queues as b (queue, node_id, polls_until)
                values (?, ?, clock_timestamp() + ? * interval '1 millisecond')
                on conflict (queue, node_id) do update set polls_until = excluded.polls_until
                """.formatted(schema);
        // Rows locked by another node's promise or cleanup are skipped, so that a cleanup never waits while
        // holding rows another node's promise could wait for.
        this.cleanupSql = """
                delete from %1$s.busy_queues
                where (queue, node_id) in (select queue, node_id from %1$s.busy_queues
                                           where queue = ? and polls_until < clock_timestamp() - interval '1 minute'
                                           for update skip locked)
                """.formatted(schema);
        this.withdrawSql = "delete from %s.busy_queues where queue = ? and node_id = ?".formatted(schema);
    }

    /**
     * The condition under which an enqueue into the queue named by the SQL expression {@code queue} notifies: no
     * node polls it on its own now. Read with {@code clock_timestamp()}: the transaction's {@code now()} may be
     * long past.
     */
    static String notifyGuardSql(String schema, String queue) {
        return "not exists (select 1 from %1$s.busy_queues b where b.queue = %2$s and b.polls_until > clock_timestamp())"
                .formatted(schema, queue);
    }

    /** Promises that {@code nodeId} polls {@code queue} on its own for {@code pollsFor} from now (database time). */
    public void promise(String queue, String nodeId, Duration pollsFor) throws SQLException {
        Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(promiseSql)) {
                ps.setString(1, queue);
                ps.setString(2, nodeId);
                ps.setLong(3, pollsFor.toMillis());
                ps.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Deletes the rows of {@code queue} whose promise ended a minute ago or more: those of nodes that were
     * stopped by a kill, and of nodes long idle (they write theirs again when busy). Called by a fetcher that
     * turns busy, so the table holds about one row per node and queue busy lately.
     */
    public void deleteStale(String queue) throws SQLException {
        Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(cleanupSql)) {
                ps.setString(1, queue);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Withdraws the promise of {@code nodeId} for {@code queue}: enqueues into it notify again, unless another node polls it. */
    public void withdraw(String queue, String nodeId) throws SQLException {
        Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(withdrawSql)) {
                ps.setString(1, queue);
                ps.setString(2, nodeId);
                ps.executeUpdate();
            }
            return null;
        });
    }
}
