package io.pgjobs.admin;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A queue as the dashboard shows it: runnable jobs waiting (capped count), jobs running, lag (how long the
 * oldest runnable job has been due; zero when none), its cluster-wide limit (null: none) and whether it is
 * paused, and its maximum depth (null: none), past which enqueueing to it is refused or waits
 * (docs/flow-control.md, "Backpressure"). {@code concurrency} is how many of its jobs the live nodes working it run
 * at once, summed over them (null: no live node of version 27 or later works it), and {@code flow} its flow
 * control as the most recently started of them configured it (null: none).
 * {@code concurrencyLimit} is the V1 column {@code queues.concurrency_limit}, which no pgjobs code sets; the
 * cluster-wide limit is {@code flow.queueLimit()}. {@code pollingNodes} are the nodes that poll it on their own
 * now, because they keep finding work: enqueues into it skip their notification until the last of them ends
 * (docs/architecture.md, "The wake-up").
 *
 * @param name the queue's name
 * @param waiting its runnable jobs waiting (a capped count)
 * @param running its jobs running
 * @param lag how long its oldest runnable job has been due; zero when none
 * @param concurrencyLimit the V1 column {@code queues.concurrency_limit}, which no pgjobs code sets
 * @param paused whether it is paused
 * @param maxDepth its maximum depth; null for none
 * @param concurrency how many of its jobs its live nodes run at once, summed; null if none reports it
 * @param flow its flow control; null for none
 * @param pollingNodes the nodes whose promise to poll it on their own holds now, by node; empty when none
 */
public record QueueInfo(String name, Count waiting, long running, Duration lag, Integer concurrencyLimit,
                        boolean paused, Integer maxDepth, Integer concurrency, FlowSettings flow,
                        List<PollingNode> pollingNodes) {
    /**
     * A node that polls the queue on its own every few milliseconds, having promised so until {@code pollsUntil}
     * (database time; it renews the promise while it keeps finding work, and polls a grace of 2 s past it).
     *
     * @param nodeId the node
     * @param pollsUntil the end of its promise (database time)
     */
    public record PollingNode(String nodeId, Instant pollsUntil) {}
}
