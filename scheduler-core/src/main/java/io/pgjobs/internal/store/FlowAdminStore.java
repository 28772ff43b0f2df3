package io.pgjobs.internal.store;

import io.pgjobs.JobState;
import io.pgjobs.OrderedKeys;
import io.pgjobs.PartitionKey;
import io.pgjobs.RateLimit;
import io.pgjobs.admin.FlowSettings;
import io.pgjobs.admin.QueueFlowState;
import io.pgjobs.admin.QueueFlowState.BlockedKey;
import io.pgjobs.admin.QueueFlowState.PartitionUse;
import io.pgjobs.admin.QueueFlowState.RateState;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.Record;

/**
 * The SQL of what operators see of flow control (docs/flow-control.md, "Where an operator looks"): the settings
 * each node registered for its queues (node_queues, V27), the running jobs per partition, the rate limits' state
 * and the ordering keys held back by one job; and the operator's skip of a discarded job that blocks its key.
 * Reads run under a statement timeout and list at most {@link QueueFlowState#SHOWN} partitions and
 * {@link QueueFlowState#SHOWN_KEYS} keys.
 */
public final class FlowAdminStore {
    private static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(5);

    /** One live node's settings for one queue, newest started node first within a queue. */
    record NodeQueue(String nodeId, String queue, int concurrency, FlowSettings flow) {}

    /** What a skip did: the job's queue and ordering key, or empty when the job was not a discarded key holder. */
    public record Skipped(String queue, String orderingKey) {}

    private final DataSource dataSource;
    private final String schema;
    private final String notifyChannel;
    private final Duration nodeDeadAfter;
    private final Duration transactionLimit;

    public FlowAdminStore(DataSource dataSource, String schema, String notifyChannel, Duration nodeDeadAfter,
                          Duration transactionLimit) {
        this.dataSource = dataSource;
        this.schema = schema;
        this.notifyChannel = notifyChannel;
        this.nodeDeadAfter = nodeDeadAfter;
        this.transactionLimit = transactionLimit;
    }

    // ---- settings the nodes registered ----------------------------------------------------------------------

    /** Each queue's settings on the live nodes that work it, by queue, the most recently started node first. */
    static Map<String, List<NodeQueue>> liveSettings(DSLContext dsl, String schema, Duration nodeDeadAfter) {
        String sql = """
                select nq.*
                from %1$s.node_queues nq join %1$s.nodes n on n.id = nq.node_id
                where n.stopped_at is null and n.heartbeat_at > now() - ? * interval '1 millisecond'
                order by nq.queue, n.started_at desc, n.id
                """.formatted(schema);
        Map<String, List<NodeQueue>> byQueue = new TreeMap<>();
        for (Record r : dsl.resultQuery(sql, nodeDeadAfter.toMillis()).fetch()) {
            NodeQueue row = new NodeQueue(r.get("node_id", String.class), r.get("queue", String.class),
                    r.get("concurrency", Integer.class), settings(r));
            byQueue.computeIfAbsent(row.queue(), q -> new ArrayList<>()).add(row);
        }
        return byQueue;
    }

    /** The concurrency of every registered node's queues, by node id, then queue. */
    static Map<String, Map<String, Integer>> concurrencyByNode(DSLContext dsl, String schema) {
        Map<String, Map<String, Integer>> byNode = new LinkedHashMap<>();
        dsl.resultQuery("select node_id, queue, concurrency from %s.node_queues order by node_id, queue".formatted(schema))
                .fetch().forEach(r -> byNode.computeIfAbsent(r.get("node_id", String.class), n -> new LinkedHashMap<>())
                        .put(r.get("queue", String.class), r.get("concurrency", Integer.class)));
        return byNode;
    }

    /** A node_queues row's flow control, or null when it has none. */
    private static FlowSettings settings(Record r) {
        PartitionKey key = !r.get("partitioned", Boolean.class) ? null
                : new PartitionKey(r.get("partition_source", String.class),
                        List.of(Optional.ofNullable(r.get("partition_path", String[].class)).orElse(new String[0])));
        String ordered = r.get("ordered_keys", String.class);
        Integer rateCount = r.get("rate_count", Integer.class);
        RateLimit rate = null;
        if (rateCount != null) {
            rate = RateLimit.of(rateCount, Duration.ofMillis(r.get("rate_period_ms", Long.class)))
                    .burst(r.get("rate_burst", Integer.class));
            if (r.get("rate_per_partition", Boolean.class)) {
                rate = rate.perPartition(key);
            }
        }
        FlowSettings flow = new FlowSettings(r.get("queue_limit", Integer.class), r.get("partition_limit", Integer.class),
                key, ordered == null ? null : OrderedKeys.valueOf(ordered.toUpperCase(Locale.ROOT)), rate);
        return flow.equals(new FlowSettings(null, null, null, null, null)) ? null : flow;
    }

    // ---- the state of flow-controlled queues ------------------------------------------------------------------

    /** Every queue that a live node works with flow control, with its state now, by queue name. */
    public List<QueueFlowState> flowControl() throws SQLException {
        return Sql.inTransactionWithoutJit(dataSource, STATEMENT_TIMEOUT, Sql.unwrappingJooq(connection -> {
            DSLContext dsl = Sql.dsl(connection, schema);
            Instant at = dsl.resultQuery("select now()").fetchOne(0, OffsetDateTime.class).toInstant();
            List<QueueFlowState> states = new ArrayList<>();
            for (List<NodeQueue> nodes : liveSettings(dsl, schema, nodeDeadAfter).values()) {
                FlowSettings settings = nodes.getFirst().flow();
                if (settings != null) {
                    states.add(state(dsl, nodes, settings, at));
                }
            }
            return states;
        }));
    }

    private QueueFlowState state(DSLContext dsl, List<NodeQueue> nodes, FlowSettings settings, Instant at) {
        String queue = nodes.getFirst().queue();
        List<String> disagreeing = nodes.stream().filter(n -> !settings.equals(n.flow())).map(NodeQueue::nodeId).toList();
        int concurrency = nodes.stream().mapToInt(NodeQueue::concurrency).sum();
        // the running jobs the limits count, per partition, the busiest first, with their total
        String runningSql = """
                select flow_partition, count(*) as running, sum(count(*)) over () as total
                from %s.jobs where state = 'running' and queue = ? and flow_partition is not null
                group by flow_partition order by count(*) desc, flow_partition limit %d
                """.formatted(schema, QueueFlowState.SHOWN);
        List<PartitionUse> busiest = new ArrayList<>();
        long running = 0;
        for (Record r : dsl.resultQuery(runningSql, queue).fetch()) {
            busiest.add(new PartitionUse(r.get("flow_partition", String.class), r.get("running", Long.class)));
            running = r.get("total", Long.class);
        }
        // the same as the claims read it (V39's kept counts), beside it, so that a count gone wrong shows
        long counted = dsl.resultQuery("select coalesce(sum(running), 0) from %s.flow_running where queue = ?"
                .formatted(schema), queue).fetchOne(0, Long.class);
        return new QueueFlowState(queue, settings, nodes.stream().map(NodeQueue::nodeId).toList(), disagreeing,
                concurrency, at, running, counted, busiest, rates(dsl, queue, settings.rateLimit()),
                settings.orderedKeys() == null ? List.of() : blockedKeys(dsl, queue, settings.orderedKeys()),
                shares(dsl, queue));
    }

    /** The nodes' unexpired shares of the queue's limit (V44's limit_shares), by node. */
    private List<QueueFlowState.LimitShare> shares(DSLContext dsl, String queue) {
        String sql = "select node_id, slots, wanted, expires_at from %s.limit_shares where queue = ? and expires_at > now() "
                + "order by node_id";
        return dsl.resultQuery(sql.formatted(schema), queue).fetch(r -> new QueueFlowState.LimitShare(
                r.get("node_id", String.class), r.get("slots", Integer.class), r.get("wanted", Integer.class),
                r.get("expires_at", OffsetDateTime.class).toInstant()));
    }

    /**
     * The rate's rows (V15's rate_limits: the theoretical arrival time tat of the next start): a job may start
     * once tat less the burst's tolerance has come.
     */
    private List<RateState> rates(DSLContext dsl, String queue, RateLimit rate) {
        if (rate == null) {
            return List.of();
        }
        double toleranceMs = (rate.burst() - 1) * rate.intervalMillis();
        String sql = """
                select partition, greatest(now(), tat - ? * interval '1 millisecond') as next_start_at,
                       greatest(0, extract(epoch from (tat - ? * interval '1 millisecond' - now())) * 1000)::bigint as wait_ms
                from %s.rate_limits where queue = ? order by tat desc, partition limit %d
                """.formatted(schema, QueueFlowState.SHOWN);
        return dsl.resultQuery(sql, toleranceMs, toleranceMs, queue).fetch(r -> new RateState(
                r.get("partition", String.class), r.get("next_start_at", OffsetDateTime.class).toInstant(),
                Duration.ofMillis(r.get("wait_ms", Long.class))));
    }

    /**
     * The keys whose first job (by id) cannot start now, and why, as the flow claim sees them (V15's
     * claim_flow_jobs): a job of the key running, or the first unfinished one retrying, snoozed or scheduled, or
     * (when discarded jobs block) discarded. Only keys with jobs waiting behind, and every discarded holder.
     * Reads the queue's keyed jobs through jobs_ordering.
     */
    private List<BlockedKey> blockedKeys(DSLContext dsl, String queue, OrderedKeys policy) {
        String sql = """
                with keyed as (
                    select id, kind, ordering_key, state, run_at from %1$s.jobs
                    where queue = ? and ordering_key is not null
                      and state in ('scheduled', 'available', 'running', 'retryable', 'discarded')
                ), holders as (
                    select distinct on (ordering_key) ordering_key, id, kind, state, run_at
                    from keyed
                    where state in ('running', 'retryable', 'scheduled') or (state = 'discarded' and ?)
                    order by ordering_key, state = 'running' desc, id
                ), blocked as (
                    select h.*, (select count(*) from keyed k where k.ordering_key = h.ordering_key and k.id <> h.id
                                   and k.state in ('available', 'scheduled', 'retryable')) as waiting
                    from holders h
                    where h.state = 'running'
                       or not exists (select 1 from keyed k where k.ordering_key = h.ordering_key and k.id < h.id
                                        and k.state = 'available')
                )
                select * from blocked where waiting > 0 or state = 'discarded'
                order by state = 'discarded' desc, waiting desc, ordering_key limit %2$d
                """.formatted(schema, QueueFlowState.SHOWN_KEYS);
        return dsl.resultQuery(sql, queue, policy == OrderedKeys.BLOCK_WHEN_DISCARDED).fetch(r -> {
            JobState state = JobState.fromDb(r.get("state", String.class));
            return new BlockedKey(r.get("ordering_key", String.class), r.get("id", Long.class),
                    r.get("kind", String.class), state, reason(state),
                    r.get("run_at", OffsetDateTime.class).toInstant(), r.get("waiting", Long.class));
        });
    }

    private static String reason(JobState holder) {
        return switch (holder) {
            case RUNNING -> "running";
            case RETRYABLE -> "retrying";
            case SCHEDULED -> "scheduled";
            case DISCARDED -> "discarded";
            default -> throw new IllegalStateException("a key is never held by a job in state " + holder);
        };
    }

    // ---- the operator's skip ----------------------------------------------------------------------------------

    /**
     * Moves a discarded job with an ordering key to cancelled, so that the next job of its key may run (a
     * cancelled job holds no key), wakes the claimers of its queue, and writes its {@code audit} entry, in one
     * transaction.
     * The job keeps its attempts, error and checkpoint. A workflow's step is left alone: its workflow already
     * reacted to its discard. Empty when the job was not such a job.
     */
    public Optional<Skipped> skipBlockingJob(long jobId, Function<Skipped, AdminStore.Audit> audit) throws SQLException {
        return Sql.inTransaction(dataSource, transactionLimit, Sql.unwrappingJooq(connection -> {
            DSLContext dsl = Sql.dsl(connection, schema);
            Record skipped = dsl.resultQuery("""
                    update %s.jobs set state = 'cancelled'
                    where id = ? and state = 'discarded' and ordering_key is not null and workflow_id is null
                    returning queue, ordering_key
                    """.formatted(schema), jobId).fetchOne();
            if (skipped == null) {
                return Optional.empty();
            }
            Skipped done = new Skipped(skipped.get("queue", String.class), skipped.get("ordering_key", String.class));
            AdminStore.audit(dsl, audit.apply(done));
            Sql.notify(dsl, notifyChannel, "q:" + done.queue());
            return Optional.of(done);
        }));
    }
}
