package io.pgjobs.internal.runtime;

import io.pgjobs.internal.JobStore.ClaimedJob;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * Claims the jobs of one queue for this node and starts them. It never claims more than the queue's free
 * execution slots (backpressure: a node never holds a job it cannot start at once). It fetches when woken by a
 * notification, when slots free up after a full claim (more work is likely waiting), or on the poll interval.
 */
final class QueueFetcher extends BackgroundLoop {
    private static final int MAX_BATCH = 1_000;

    private final String queue;
    private final int concurrency;
    private final List<String> kinds;
    private final Runtime runtime;
    private final Semaphore slots;
    /** When slots free up after a full claim, wait until this many are free so claims stay batched. */
    private final int refillThreshold;
    private volatile boolean saturated;

    QueueFetcher(String queue, int concurrency, List<String> kinds, Runtime runtime) {
        super("pgjobs-fetch-" + queue);
        this.queue = queue;
        this.concurrency = concurrency;
        this.kinds = kinds;
        this.runtime = runtime;
        this.slots = new Semaphore(concurrency);
        this.refillThreshold = Math.max(1, concurrency / 4);
    }

    @Override
    protected Duration runOnce() throws Exception {
        int free = Math.min(slots.availablePermits(), MAX_BATCH);
        if (free == 0) {
            return runtime.config().pollInterval();
        }
        List<ClaimedJob> claimed = runtime.store().claim(queue, kinds, free, runtime.config().nodeId(),
                runtime.config().leaseDuration().toMillis());
        for (ClaimedJob job : claimed) {
            slots.acquireUninterruptibly();
            runtime.launch(job, this);
        }
        saturated = claimed.size() == free;
        return saturated && slots.availablePermits() > 0 ? Duration.ZERO : runtime.config().pollInterval();
    }

    /** Called when a job of this queue has finished running and its slot is free again. */
    void slotFreed() {
        slots.release();
        if (saturated && slots.availablePermits() >= refillThreshold) {
            wake();
        }
    }

    int running() {
        return concurrency - slots.availablePermits();
    }
}
