package io.pgjobs.internal.observe;

import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.store.ObservationStore;
import java.time.Duration;
import java.util.List;

/**
 * Refreshes the depth and lag gauges of this node's queues on a timer, with one bounded query for all of them,
 * so that a metrics scrape never reaches the database.
 */
final class QueueStatsSampler extends BackgroundLoop {
    private final ObservationStore store;
    private final JobMetrics metrics;
    private final List<String> queues;
    private final Duration interval;

    QueueStatsSampler(ObservationStore store, JobMetrics metrics, List<String> queues, Duration interval) {
        super("pgjobs-queue-stats");
        this.store = store;
        this.metrics = metrics;
        this.queues = queues;
        this.interval = interval;
    }

    @Override
    protected Duration runOnce() throws Exception {
        metrics.queueStats(store.queueStats(queues));
        return interval;
    }
}
