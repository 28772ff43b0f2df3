package io.pgjobs.internal.store;

import io.pgjobs.PartitionKey;
import io.pgjobs.RateLimit;
import io.pgjobs.internal.config.Config.QueueFlow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * All SQL about nodes and leadership: registration and heartbeats (database time), the leader advisory lock on
 * a dedicated session connection, and the {@code leader_since} column that reports who leads.
 */
public final class NodeStore {
    /**
     * What a node tells the cluster about itself: {@code concurrency} is how many jobs of each of its queues it
     * runs at once, {@code flows} the flow control it claims its flow-controlled queues with.
     */
    public record NodeInfo(String id, String host, long pid, String version, List<String> queues, List<String> kinds,
                           Map<String, Integer> concurrency, Map<String, QueueFlow> flows) {}

    /**
     * The leader lock is the two-key advisory lock (pgjobs' tag, hash of the schema): one leader per schema, and
     * no clash with an application's one-key advisory locks. Two-key locks show up in pg_locks with objsubid 2.
     */
    private static final int LOCK_TAG = 0x70676A62; // "pgjb"

    private final DataSource dataSource;
    private final String nodes;
    private final String nodeQueues;
    private final int lockKey;
    /** The longest a registration's transaction may run (see Sql#inTransaction). */
    private final Duration transactionLimit;

    public NodeStore(DataSource dataSource, String schema, Duration transactionLimit) {
        this.dataSource = dataSource;
        this.nodes = schema + ".nodes";
        this.nodeQueues = schema + ".node_queues";
        this.lockKey = schema.hashCode();
        this.transactionLimit = transactionLimit;
    }

    // ---- registry --------------------------------------------------------------------------------------------

    /**
     * Writes this node's row afresh (a restarted node with a fixed id starts over), and its queues' settings
     * (node_queues, V27) in place of what an earlier run with the same id wrote, in one transaction.
     */
    public void register(NodeInfo node, boolean leader) throws SQLException {
        Sql.inTransaction(dataSource, transactionLimit, connection -> {
            try (PreparedStatement ps = connection.prepareStatement("""
                    insert into %s (id, host, pid, version, queues, kinds, started_at, heartbeat_at, stopped_at, leader_since)
                    values (?, ?, ?, ?, ?, ?, now(), now(), null, case when ? then now() end)
                    on conflict (id) do update set host = excluded.host, pid = excluded.pid, version = excluded.version,
                        queues = excluded.queues, kinds = excluded.kinds, started_at = now(), heartbeat_at = now(),
                        stopped_at = null, leader_since = excluded.leader_since
                    """.formatted(nodes))) {
                ps.setString(1, node.id());
                ps.setString(2, node.host());
                ps.setLong(3, node.pid());
                ps.setString(4, node.version());
                ps.setArray(5, Sql.textArray(connection, node.queues()));
                ps.setArray(6, Sql.textArray(connection, node.kinds()));
                ps.setBoolean(7, leader);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = connection.prepareStatement("delete from " + nodeQueues + " where node_id = ?")) {
                ps.setString(1, node.id());
                ps.executeUpdate();
            }
            writeQueueSettings(connection, node);
            return null;
        });
    }

    private void writeQueueSettings(Connection connection, NodeInfo node) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                insert into %s (node_id, queue, concurrency, queue_limit, partition_limit, partitioned, partition_source,
                                partition_path, ordered_keys, rate_count, rate_period_ms, rate_burst, rate_per_partition)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """.formatted(nodeQueues))) {
            for (Map.Entry<String, Integer> queue : node.concurrency().entrySet()) {
                QueueFlow flow = node.flows().get(queue.getKey());
                PartitionKey key = flow == null ? null : flow.partitionKey();
                RateLimit rate = flow == null ? null : flow.rateLimit();
                ps.setString(1, node.id());
                ps.setString(2, queue.getKey());
                ps.setInt(3, queue.getValue());
                ps.setObject(4, flow == null ? null : flow.queueLimit(), Types.INTEGER);
                ps.setObject(5, flow == null ? null : flow.partitionLimit(), Types.INTEGER);
                ps.setBoolean(6, key != null);
                ps.setString(7, key == null ? null : key.source());
                ps.setArray(8, key == null ? null : Sql.textArray(connection, key.path()));
                ps.setString(9, flow == null || flow.orderedKeys() == null ? null
                        : flow.orderedKeys().name().toLowerCase(Locale.ROOT));
                ps.setObject(10, rate == null ? null : rate.count(), Types.INTEGER);
                ps.setObject(11, rate == null ? null : rate.period().toMillis(), Types.BIGINT);
                ps.setObject(12, rate == null ? null : rate.burst(), Types.INTEGER);
                ps.setBoolean(13, rate != null && rate.partitionKey() != null);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * Records a heartbeat and whether this node leads; returns false if the row is gone (removed as dead while
     * this node was frozen, say), so the caller registers again.
     */
    public boolean heartbeat(String nodeId, boolean leader) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement("""
                    update %s set heartbeat_at = now(), stopped_at = null,
                        leader_since = case when ? then coalesce(leader_since, now()) end
                    where id = ?
                    """.formatted(nodes))) {
                ps.setBoolean(1, leader);
                ps.setString(2, nodeId);
                return ps.executeUpdate() == 1;
            }
        });
    }

    public void markStopped(String nodeId) throws SQLException {
        Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(
                    "update " + nodes + " set stopped_at = now(), leader_since = null where id = ?")) {
                ps.setString(1, nodeId);
                return ps.executeUpdate();
            }
        });
    }

    // ---- leadership, on the leader's dedicated session connection -------------------------------------------

    /** Borrows a connection of its own for a leader's session; the caller ends it with close or discard. */
    public LeaderSession openLeaderSession() throws SQLException {
        Connection session = dataSource.getConnection();
        try {
            session.setAutoCommit(true);
        } catch (SQLException | RuntimeException e) {
            new LeaderSession(session).discard(e);
            throw e;
        }
        return new LeaderSession(session);
    }

    /**
     * A session that may hold the leader lock. The server releases a session's locks when the session ends, so
     * a session in an unknown state is discarded (ended at the server), never handed back to the pool.
     */
    public final class LeaderSession {
        private final Connection session;

        private LeaderSession(Connection session) {
            this.session = session;
        }

        /**
         * Tries to take the leader lock on {@code session}. On success the session also gets
         * {@code idle_session_timeout = idleLimit}: a leader that freezes stops talking to the server, and the server
         * then ends its session and so releases the lock, instead of the frozen process keeping it forever.
         */
        public boolean tryLock(Duration idleLimit) throws SQLException {
            try (PreparedStatement ps = session.prepareStatement("select pg_try_advisory_lock(?, ?)")) {
                ps.setInt(1, LOCK_TAG);
                ps.setInt(2, lockKey);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        return false;
                    }
                }
            }
            try (PreparedStatement ps = session.prepareStatement("select set_config('idle_session_timeout', ?, false)")) {
                ps.setString(1, idleLimit.toMillis() + "ms");
                ps.execute();
            }
            return true;
        }

        /**
         * Whether {@code session} still holds the leader lock; also the leader's proof of life to the server. False
         * means the session behind this connection changed (a pooler that hands out server connections per
         * transaction does that) and the lock is not ours.
         */
        public boolean holdsLock() throws SQLException {
            try (PreparedStatement ps = session.prepareStatement("""
                    select exists (select 1 from pg_locks
                                   where locktype = 'advisory' and granted and pid = pg_backend_pid()
                                     and database = (select oid from pg_database where datname = current_database())
                                     and classid::bigint = ? and objid::bigint = ? and objsubid = 2)
                    """)) {
                ps.setLong(1, Integer.toUnsignedLong(LOCK_TAG));
                ps.setLong(2, Integer.toUnsignedLong(lockKey));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            }
        }

        /** Releases the lock and resets the session so the connection can go back to its pool clean. */
        private void releaseLock() throws SQLException {
            try (PreparedStatement ps = session.prepareStatement("select pg_advisory_unlock(?, ?)")) {
                ps.setInt(1, LOCK_TAG);
                ps.setInt(2, lockKey);
                ps.execute();
            }
            try (Statement statement = session.createStatement()) {
                statement.execute("reset idle_session_timeout");
            }
        }

        /**
         * The other node the nodes table shows as leader, the most recent if several, or null: the leader this node
         * takes over from (a crashed or frozen one keeps its mark; one that stopped cleanly has cleared it).
         */
        public String markedLeader(String nodeId) throws SQLException {
            try (PreparedStatement ps = session.prepareStatement("select id from " + nodes
                    + " where leader_since is not null and id <> ? order by leader_since desc limit 1")) {
                ps.setString(1, nodeId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        }

        /** Reports {@code nodeId} as the leader since now, and no other node (a crashed leader's row keeps its mark). */
        public void markLeader(String nodeId) throws SQLException {
            try (PreparedStatement ps = session.prepareStatement("""
                    update %s set leader_since = case when id = ? then now() end
                    where id = ? or leader_since is not null
                    """.formatted(nodes))) {
                ps.setString(1, nodeId);
                ps.setString(2, nodeId);
                ps.executeUpdate();
            }
        }

        /** Releases the lock and gives the connection back to its pool. */
        public void close() throws SQLException {
            releaseLock();
            session.close();
        }

        /**
         * Closes the connection without letting a pool hand it out again: if it might still hold the lock, only
         * ending its server session frees the lock. Failures are added to {@code cause}.
         */
        public void discard(Exception cause) {
            Executor inline = Runnable::run;
            try {
                session.abort(inline);
            } catch (SQLException | RuntimeException e) {
                cause.addSuppressed(e);
            }
            try {
                session.close();
            } catch (SQLException | RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
    }
}
