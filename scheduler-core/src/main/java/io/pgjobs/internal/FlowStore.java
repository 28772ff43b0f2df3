package io.pgjobs.internal;

import io.pgjobs.OrderedKeys;
import io.pgjobs.internal.Config.QueueFlow;
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
 * The SQL of flow control (docs/flow-control.md): the claim of queues with cluster-wide limits or ordered keys,
 * and the wake-up their claimers wait for. Queues without flow control never come here; their claims stay
 * {@link JobStore#claim}.
 */
public final class FlowStore {
    private final DataSource dataSource;
    private final String notifyChannel;
    private final String claimFlowSql;
    private final String wakeQueuesSql;

    public FlowStore(DataSource dataSource, String schema, String notifyChannel) {
        this.dataSource = dataSource;
        this.notifyChannel = notifyChannel;
        // claim_flow_jobs (V15.1) serializes the claims of one queue with flow control, counts its running jobs
        // and takes only jobs that fit under the limits and come first of their ordering keys, in one transaction.
        this.claimFlowSql = "select * from %s.claim_flow_jobs(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)".formatted(schema);
        this.wakeQueuesSql = "select count(pg_notify(?, 'q:' || q)) from unnest(?::text[]) q";
    }

    /**
     * Claims up to {@code limit} runnable jobs of {@code queue} whose kinds this node handles, in claim order,
     * as far as the queue's {@code flow} control lets them run.
     */
    public List<ClaimedJob> claimFlow(String queue, List<String> kinds, int limit, String nodeId, long leaseMs,
                                      QueueFlow flow) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(claimFlowSql)) {
                ps.setString(1, queue);
                ps.setArray(2, Sql.textArray(connection, kinds));
                ps.setInt(3, limit);
                ps.setString(4, nodeId);
                ps.setLong(5, leaseMs);
                ps.setObject(6, flow.queueLimit(), Types.INTEGER);
                ps.setObject(7, flow.partitionLimit(), Types.INTEGER);
                boolean partitioned = flow.partitionKey() != null;
                ps.setString(8, partitioned ? flow.partitionKey().source() : null);
                ps.setArray(9, partitioned ? Sql.textArray(connection, flow.partitionKey().path()) : null);
                ps.setBoolean(10, flow.orderedKeys() != null);
                ps.setBoolean(11, flow.orderedKeys() == OrderedKeys.BLOCK_WHEN_DISCARDED);
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
     * Wakes the claimers of {@code queues} on every node: jobs of theirs stopped running here, so the slots they
     * held under a cluster-wide limit are free, and the jobs of their ordering keys behind them may be next.
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
