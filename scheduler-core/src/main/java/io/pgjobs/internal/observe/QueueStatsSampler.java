package io.pgjobs.internal.observe;

import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.store.ObservationStore;
import java.time.Duration;
import java.util.List;

/**
 * Refreshes the depth and lag gauges of this node's queues on a timer, with one bounded query for all of them,
 * and the gauge of due jobs no live node handles (a second bounded query), so that a metrics scrape never
 * reaches the database.
 */
final class QueueStatsSampler extends BackgroundLoop {
    private final ObservationStore store;
    private final JobMetrics metrics;
    private final List<String> queues;
    private final Duration interval;
    private final Duration nodeDeadAfter;

    QueueStatsSampler(ObservationStore store, JobMetrics metrics, List<String> queues, Duration interval,
                      Duration nodeDeadAfter) {
        super("pgjobs-queue-stats");
        this.store = store;
        this.metrics = metrics;
        this.queues = queues;
        this.interval = interval;
        this.nodeDeadAfter = nodeDeadAfter;
    }

    @Override
    protected Duration runOnce() throws Exception {
        metrics.queueStats(store.queueStats(queues));
        metrics.unhandled(store.unhandledKinds(nodeDeadAfter.toMillis()));
        return interval;
    }
}
