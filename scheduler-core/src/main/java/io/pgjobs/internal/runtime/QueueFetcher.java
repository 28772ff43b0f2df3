package io.pgjobs.internal.runtime;

import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.store.ClaimedJob;
import io.pgjobs.internal.store.ExecutionStore;
import io.pgjobs.internal.store.ExecutionStore.Claim;
import io.pgjobs.internal.store.ExecutionStore.ClaimPosition;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Claims the jobs of one queue for this node and starts them. It never claims more than the queue's free
 * execution slots (backpressure: a node never holds a job it cannot start at once), and nothing while the
 * completer has a full batch of finished jobs to write (backpressure from the database). It fetches when woken
 * by a notification, when slots free up after a full claim (more work is likely waiting), or on the poll
 * interval.
 *
 * <p>While a backlog lasts (every claim full), each claim resumes after the last job of the previous one instead
 * of at the head of the queue: the head of the runnable index holds an entry for every job claimed since the
 * last vacuum, and on a big table a claim from the head walked hundreds of thousands of them. Jobs that sort
 * before that position (a higher priority, a job due again, a transaction that committed late) are taken by
 * the claim from the head that follows at least every {@link #HEAD_CLAIM_INTERVAL_NANOS}, and by every claim
 * once the backlog is worked off.
 */
final class QueueFetcher extends BackgroundLoop {
    private static final int MAX_BATCH = 1_000;
    private static final long HEAD_CLAIM_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** How soon to look again while the completer is behind. */
    private static final Duration COMPLETIONS_BEHIND_WAIT = Duration.ofMillis(5);

    private final String queue;
    private final int concurrency;
    private final List<String> kinds;
    private final ExecutionStore store;
    private final String nodeId;
    private final Duration lease;
    private final Duration pollInterval;
    private final BooleanSupplier completionsBehind;
    private final Workers workers;
    private final Semaphore slots;
    /** When slots free up after a full claim, wait until this many are free so claims stay batched. */
    private final int refillThreshold;
    private volatile boolean saturated;
    /** Where the next claim resumes while every claim is full; null: from the head. */
    private ClaimPosition resumeAfter;
    private long lastHeadClaim;

    /** {@code completionsBehind}: whether the completer has a full batch to write (see {@link Completer#behind()}). */
    QueueFetcher(String queue, int concurrency, List<String> kinds, ExecutionStore store, String nodeId,
                 Duration lease, Duration pollInterval, BooleanSupplier completionsBehind, Workers workers) {
        super("pgjobs-fetch-" + queue);
        this.queue = queue;
        this.concurrency = concurrency;
        this.kinds = kinds;
        this.store = store;
        this.nodeId = nodeId;
        this.lease = lease;
        this.pollInterval = pollInterval;
        this.completionsBehind = completionsBehind;
        this.workers = workers;
        this.slots = new Semaphore(concurrency);
        this.refillThreshold = Math.max(1, concurrency / 4);
    }

    @Override
    protected Duration runOnce() throws Exception {
        int free = Math.min(slots.availablePermits(), MAX_BATCH);
        if (free == 0) {
            return pollInterval;
        }
        if (completionsBehind.getAsBoolean()) {
            return COMPLETIONS_BEHIND_WAIT;
        }
        long now = System.nanoTime();
        ClaimPosition after = now - lastHeadClaim < HEAD_CLAIM_INTERVAL_NANOS ? resumeAfter : null;
        if (after == null) {
            lastHeadClaim = now;
        }
        Claim claim = store.claim(queue, kinds, free, nodeId, lease.toMillis(), after);
        List<ClaimedJob> claimed = claim.jobs();
        for (ClaimedJob job : claimed) {
            slots.acquireUninterruptibly();
            workers.launch(job, this::slotFreed);
        }
        saturated = claimed.size() == free;
        resumeAfter = saturated ? claim.end() : null;
        return saturated && slots.availablePermits() > 0 ? Duration.ZERO : pollInterval;
    }

    /** Called when a job of this queue has finished running and its slot is free again. */
    private void slotFreed() {
        slots.release();
        if (saturated && slots.availablePermits() >= refillThreshold) {
            wake();
        }
    }

    int running() {
        return concurrency - slots.availablePermits();
    }
}
