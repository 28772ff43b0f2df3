package io.pgjobs.internal;

import io.pgjobs.internal.Config.QueueLimits;
import io.pgjobs.internal.JobStore.ClaimedJob;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.sql.DataSource;

/**
 * The SQL of flow control (docs/flow-control.md): the claim of queues with cluster-wide limits, and the wake-up
 * their claimers wait for. Queues without limits never come here; their claims stay {@link JobStore#claim}.
 */
public final class FlowStore {
    private final DataSource dataSource;
    private final String notifyChannel;
    private final String claimLimitedSql;
    private final String wakeQueuesSql;

    public FlowStore(DataSource dataSource, String schema, String notifyChannel) {
        this.dataSource = dataSource;
        this.notifyChannel = notifyChannel;
        // claim_limited_jobs (V15) serializes the claims of one limited queue, counts its running jobs and takes
        // only jobs that fit under the limits, in one transaction.
        this.claimLimitedSql = "select * from %s.claim_limited_jobs(?, ?, ?, ?, ?, ?, ?, ?, ?)".formatted(schema);
        this.wakeQueuesSql = "select count(pg_notify(?, 'q:' || q)) from unnest(?::text[]) q";
    }

    /**
     * Claims up to {@code limit} runnable jobs of {@code queue} whose kinds this node handles, in claim order,
     * as far as the queue's cluster-wide {@code limits} leave room.
     */
    public List<ClaimedJob> claimLimited(String queue, List<String> kinds, int limit, String nodeId, long leaseMs,
                                         QueueLimits limits) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(claimLimitedSql)) {
                ps.setString(1, queue);
                ps.setArray(2, Sql.textArray(connection, kinds));
                ps.setInt(3, limit);
                ps.setString(4, nodeId);
                ps.setLong(5, leaseMs);
                ps.setObject(6, limits.queueLimit(), Types.INTEGER);
                ps.setObject(7, limits.partitionLimit(), Types.INTEGER);
                boolean partitioned = limits.partitionKey() != null;
                ps.setString(8, partitioned ? limits.partitionKey().source() : null);
                ps.setArray(9, partitioned ? Sql.textArray(connection, limits.partitionKey().path()) : null);
                List<ClaimedJob> claimed = new ArrayList<>(limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        claimed.add(ClaimedJob.read(rs));
                    }
                }
                return claimed;
            }
        });
    }

    /**
     * Wakes the claimers of {@code queues} on every node: jobs of theirs stopped running here, and the slots they
     * held under a cluster-wide limit are free.
     */
    public void wakeQueues(Collection<String> queues) throws SQLException {
        Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(wakeQueuesSql)) {
                ps.setString(1, notifyChannel);
                ps.setArray(2, Sql.textArray(connection, queues));
                return ps.execute();
            }
        });
    }
}
