package io.pgjobs.admin;

import io.pgjobs.JobState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A queue with flow control, as an operator looks at it: the {@code settings} the live nodes working it claim
 * with (those of the most recently started one; {@code disagreeingNodes} names the live nodes whose settings
 * differ, which they should not: docs/flow-control.md), and what the database holds now.
 *
 * @param queue            the queue
 * @param settings         the flow control the live nodes working it claim with
 * @param disagreeingNodes the live nodes whose settings differ from {@code settings}
 * @param at               the database's time of the reading
 * @param nodes            the live nodes that work the queue
 * @param concurrency      how many of its jobs those nodes run at once, summed over them
 * @param running          its jobs running under flow control (what the queue limit counts), counted from the jobs
 * @param countedRunning   the same as the claims read it: the sum of the queue's kept counts (V39's
 *                         {@code flow_running}); it differs from {@code running} only if something bypassed the
 *                         triggers that keep them (docs/flow-control.md, "If a count were wrong"), or for a moment
 *                         while jobs start or end
 * @param busiestPartitions the partitions with the most jobs running, at most {@link #SHOWN} of them
 * @param rates            the rate limit's state per partition ("" for the queue's own rate), those that must wait
 *                         longest first, at most {@link #SHOWN}; empty without a rate limit or before its first start
 * @param blockedKeys      ordering keys held back by one job, discarded holders first, then those with the most
 *                         jobs waiting behind them, at most {@link #SHOWN_KEYS}; empty without ordered keys
 * @param shares           the nodes' unexpired shares of a queue limited only as a whole, by node
 *                         (docs/flow-control.md, "Shares of a queue limit"); empty for other queues
 */
public record QueueFlowState(String queue, FlowSettings settings, List<String> nodes, List<String> disagreeingNodes,
                             int concurrency, Instant at, long running, long countedRunning,
                             List<PartitionUse> busiestPartitions,
                             List<RateState> rates, List<BlockedKey> blockedKeys, List<LimitShare> shares) {
    /** How many partitions (busiest, rate states) a reading lists at most. */
    public static final int SHOWN = 20;
    /** How many blocked keys a reading lists at most. */
    public static final int SHOWN_KEYS = 100;

    /**
     * A node's share of a queue limit: how many of the queue's jobs may execute on it at once until when, and how
     * many it asked for (a node with fewer slots than it wants and than its fair part makes the others give back
     * their excess).
     *
     * @param nodeId the node
     * @param slots how many of the queue's jobs may execute on it at once
     * @param wanted how many it asked for
     * @param expiresAt when the share ends unless the node renews it (database time)
     */
    public record LimitShare(String nodeId, int slots, int wanted, Instant expiresAt) {}

    /**
     * A partition ("" for the jobs without a key) and its running jobs.
     *
     * @param partition the partition; "" for the jobs without a key
     * @param running its jobs running
     */
    public record PartitionUse(String partition, long running) {}

    /**
     * A rate limit's state for one partition: when its next job may start (the generic cell rate algorithm's
     * theoretical arrival time less the burst's tolerance) and {@code delay}, how long that is from now (zero: it may start now).
     *
     * @param partition the partition; "" for the queue's own rate
     * @param nextStartAt when its next job may start
     * @param delay how long that is from now; zero if it may start now
     */
    public record RateState(String partition, Instant nextStartAt, Duration delay) {}

    /**
     * An ordering key whose jobs wait behind one job: {@code holderJobId}, in {@code holderState}, holds it because
     * it is {@code reason}: {@code running}; {@code retrying} (retryable, runs again at {@code holderRunAt}); {@code
     * scheduled} (snoozed or scheduled for {@code holderRunAt}); or {@code discarded} (with
     * {@link io.pgjobs.OrderedKeys#BLOCK_WHEN_DISCARDED}: until an operator retries, deletes or skips it, see
     * {@link AdminClient#skipBlockingJob}). {@code waiting} counts the key's jobs behind it.
     *
     * @param orderingKey the ordering key
     * @param holderJobId the job that holds it
     * @param holderKind that job's kind
     * @param holderState that job's state
     * @param reason why it holds the key: {@code running}, {@code retrying}, {@code scheduled} or {@code discarded}
     * @param holderRunAt when that job runs again; null unless retrying or scheduled
     * @param waiting how many of the key's jobs wait behind it
     */
    public record BlockedKey(String orderingKey, long holderJobId, String holderKind, JobState holderState,
                             String reason, Instant holderRunAt, long waiting) {}
}
