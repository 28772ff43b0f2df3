package io.pgjobs.internal.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgjobs.OrderedKeys;
import io.pgjobs.PartitionKey;
import io.pgjobs.RateLimit;
import io.pgjobs.internal.config.Config.QueueFlow;
import io.pgjobs.internal.values.PlainJson;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The SQL of flow control (docs/flow-control.md): the claim of queues with cluster-wide limits or ordered keys,
 * and of kinds with a circuit breaker per partition, and the wake-up their claimers wait for. Queues without flow
 * control never come here for their other kinds; their claims stay {@link ExecutionStore#claim}.
 */
public final class FlowStore {
    /** What a flow claim took: the jobs, and among them the probes of circuits per partition it took. */
    public record FlowClaim(List<ClaimedJob> jobs, List<Probe> probes) {}

    /** Job {@code jobId} is the probe of the circuit of {@code kind}'s {@code partition}, half-open since its claim. */
    public record Probe(String kind, String partition, long jobId) {}

    private final DataSource dataSource;
    private final String notifyChannel;
    private final String claimFlowSql;
    private final String claimFlowGuardedSql;
    private final String wakeQueuesSql;

    public FlowStore(DataSource dataSource, String schema, String notifyChannel) {
        this.dataSource = dataSource;
        this.notifyChannel = notifyChannel;
        // claim_flow_jobs (V15, its walk V30's, with circuits per partition V35's) serializes the claims of one
        // queue with flow control, counts its running jobs and takes only jobs that fit under the limits, come
        // first of their ordering keys, are due under the rate limits and whose partition's circuit lets them
        // through, in one transaction.
        this.claimFlowSql = ClaimedJob.selectClaimed(schema,
                "%s.claim_flow_jobs(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb) c".formatted(schema));
        // kinds with a circuit breaker only while their circuit is closed, as in ExecutionStore's claim
        this.claimFlowGuardedSql = ClaimedJob.selectClaimed(schema,
                "%s.claim_flow_jobs(?, ?::text[] || %s, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb) c"
                        .formatted(schema, CircuitStore.closedKindsOf(schema, "?::text[]")));
        this.wakeQueuesSql = "select count(pg_notify(?, 'q:' || q)) from unnest(?::text[]) q";
    }

    /**
     * Claims up to {@code limit} runnable jobs of {@code queue} whose kinds this node handles, in claim order,
     * as far as the queue's {@code flow} control lets them run; jobs of {@code guardedKinds} (kinds with a circuit
     * breaker) only while their circuit is closed; jobs of the kinds in {@code partitionCircuits} (among
     * {@code kinds}: kinds with a circuit per partition, found by the key) only while their partition's circuit
     * is closed, or as its probe.
     */
    public FlowClaim claimFlow(String queue, List<String> kinds, List<String> guardedKinds, int limit, String nodeId,
                               long leaseMs, QueueFlow flow, Map<String, PartitionKey> partitionCircuits)
            throws SQLException {
        String sql = guardedKinds.isEmpty() ? claimFlowSql : claimFlowGuardedSql;
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                int p = CircuitStore.bindClaim(ps, connection, queue, kinds, guardedKinds, limit, nodeId, leaseMs);
                ps.setObject(p++, flow.queueLimit(), Types.INTEGER);
                ps.setObject(p++, flow.partitionLimit(), Types.INTEGER);
                boolean partitioned = flow.partitionKey() != null;
                ps.setString(p++, partitioned ? flow.partitionKey().source() : null);
                ps.setArray(p++, partitioned ? Sql.textArray(connection, flow.partitionKey().path()) : null);
                ps.setBoolean(p++, flow.orderedKeys() != null);
                ps.setBoolean(p++, flow.orderedKeys() == OrderedKeys.BLOCK_WHEN_DISCARDED);
                RateLimit rate = flow.rateLimit();
                ps.setObject(p++, rate == null ? null : rate.intervalMillis(), Types.DOUBLE);
                ps.setObject(p++, rate == null ? null : rate.burst(), Types.INTEGER);
                ps.setBoolean(p++, rate != null && rate.partitionKey() != null);
                ps.setString(p, partitionCircuits.isEmpty() ? null : circuitKeys(partitionCircuits));
                List<ClaimedJob> claimed = new ArrayList<>(limit);
                List<Probe> probes = new ArrayList<>();
                long sentNanos = System.nanoTime();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ClaimedJob job = ClaimedJob.read(rs, sentNanos);
                        claimed.add(job);
                        String probePartition = rs.getString("probe_partition");
                        if (probePartition != null) {
                            probes.add(new Probe(job.kind(), probePartition, job.id()));
                        }
                    }
                }
                return new FlowClaim(claimed, probes);
            }
        });
    }

    /** The claim's {@code circuit_keys}: {"kind": {"source": "args", "path": ["tenant"]}, ...}. */
    private static String circuitKeys(Map<String, PartitionKey> partitionCircuits) {
        ObjectNode keys = PlainJson.MAPPER.createObjectNode();
        partitionCircuits.forEach((kind, key) -> {
            ObjectNode of = keys.putObject(kind);
            of.put("source", key.source());
            key.path().forEach(of.putArray("path")::add);
        });
        return keys.toString();
    }

    /**
     * Wakes the claimers of {@code queues} on every node once {@code connection}'s transaction commits (the
     * completion's that ended jobs of theirs, see {@link ExecutionStore#complete(List, String, java.time.Duration,
     * ExecutionStore.AfterWrite)}): the slots those jobs held under a cluster-wide limit are free, and the jobs of
     * their ordering keys behind them may be next.
     */
    public void wakeQueues(Connection connection, Collection<String> queues) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(wakeQueuesSql)) {
            ps.setString(1, notifyChannel);
            ps.setArray(2, Sql.textArray(connection, queues));
            ps.execute();
        }
    }
}
