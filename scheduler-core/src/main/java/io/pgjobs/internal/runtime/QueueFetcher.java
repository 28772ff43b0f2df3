package io.pgjobs.internal.runtime;

import io.pgjobs.internal.config.Config.QueueFlow;
import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.store.ClaimedJob;
import io.pgjobs.internal.store.ExecutionStore;
import io.pgjobs.internal.store.ExecutionStore.Claim;
import io.pgjobs.internal.store.ExecutionStore.ClaimPosition;
import io.pgjobs.internal.store.FlowStore;
import java.time.Duration;
import java.util.ArrayList;
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
 *
 * <p>A queue with flow control (cluster-wide limits, ordered keys) is claimed through
 * {@link FlowStore#claimFlow} instead, always from the head (its claims count the running jobs first, and are
 * never big enough for the position to matter). Its slots under the limits free up, and the next jobs of its
 * keys become claimable, when jobs end anywhere in the cluster, which the nodes announce (see
 * {@link Completer}); a fetcher that found nothing to take waits for that wake-up. On a node with circuit
 * breakers, the kinds that have one are claimed only while their circuit is closed, and every poll interval the
 * fetcher offers to take the probe of a circuit whose cool-down is over ({@link CircuitBreakers#probe}).
 */
final class QueueFetcher extends BackgroundLoop {
    private static final int MAX_BATCH = 1_000;
    private static final long HEAD_CLAIM_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** How soon to look again while the completer is behind. */
    private static final Duration COMPLETIONS_BEHIND_WAIT = Duration.ofMillis(5);

    private final String queue;
    private final int concurrency;
    /** The kinds this node handles: without a circuit breaker, and with one (claimed while it is closed). */
    private final List<String> kinds;
    private final List<String> guardedKinds;
    /** The queue's flow control; null when it has none. */
    private final QueueFlow flow;
    private final ExecutionStore store;
    private final FlowStore flowStore;
    private final CircuitBreakers circuits;
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
    /**
     * For a queue with a rate limit, how soon to claim again after a claim that took jobs (and once more after
     * one that took none, in case it came a moment before the next start was due): the interval between two
     * starts (at least a millisecond, at most the poll interval), so that claims keep pace with the rate instead
     * of waiting for a notification that a rate does not send. Null for other queues.
     */
    private final Duration rateInterval;
    private int emptyRateClaims;
    /** When this fetcher next looks for a circuit due for a probe (System.nanoTime). */
    private long nextProbeLook = System.nanoTime();

    /** {@code completionsBehind}: whether the completer has a full batch to write (see {@link Completer#behind()}). */
    QueueFetcher(String queue, int concurrency, QueueFlow flow, List<String> kinds, ExecutionStore store,
                 FlowStore flowStore, CircuitBreakers circuits, String nodeId, Duration lease, Duration pollInterval,
                 BooleanSupplier completionsBehind, Workers workers) {
        super("pgjobs-fetch-" + queue);
        this.queue = queue;
        this.concurrency = concurrency;
        this.flow = flow;
        this.rateInterval = flow == null || flow.rateLimit() == null ? null
                : Duration.ofNanos(Math.min(pollInterval.toNanos(),
                        Math.max(1_000_000L, (long) (flow.rateLimit().intervalMillis() * 1e6))));
        this.kinds = kinds;
        this.guardedKinds = circuits.kinds();
        this.store = store;
        this.flowStore = flowStore;
        this.circuits = circuits;
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
        List<ClaimedJob> claimed = new ArrayList<>();
        if (!guardedKinds.isEmpty() && now - nextProbeLook >= 0) {
            nextProbeLook = now + pollInterval.toNanos();
            ClaimedJob probe = circuits.probe(this::claimProbe);
            if (probe != null) {
                claimed.add(probe);
            }
        }
        int rest = free - claimed.size();
        if (rest > 0) {
            claimed.addAll(flow != null ? flowStore.claimFlow(queue, kinds, guardedKinds, rest, nodeId,
                    lease.toMillis(), flow) : claim(rest, now));
        }
        for (ClaimedJob job : claimed) {
            slots.acquireUninterruptibly();
            workers.launch(job, this::slotFreed);
        }
        saturated = claimed.size() == free;
        if (saturated && slots.availablePermits() > 0) {
            return Duration.ZERO;
        }
        if (rateInterval == null) {
            return pollInterval;
        }
        emptyRateClaims = claimed.isEmpty() ? emptyRateClaims + 1 : 0;
        return emptyRateClaims <= 1 ? rateInterval : pollInterval;
    }

    private List<ClaimedJob> claim(int free, long now) throws Exception {
        ClaimPosition after = now - lastHeadClaim < HEAD_CLAIM_INTERVAL_NANOS ? resumeAfter : null;
        if (after == null) {
            lastHeadClaim = now;
        }
        Claim claim = store.claim(queue, kinds, guardedKinds, free, nodeId, lease.toMillis(), after);
        resumeAfter = claim.jobs().size() == free ? claim.end() : null;
        return claim.jobs();
    }

    /** One job of {@code kind} for its circuit's probe, past the circuit check; null if the queue has none. */
    private ClaimedJob claimProbe(String kind) throws Exception {
        List<ClaimedJob> probe = flow != null
                ? flowStore.claimFlow(queue, List.of(kind), List.of(), 1, nodeId, lease.toMillis(), flow)
                : store.claim(queue, List.of(kind), List.of(), 1, nodeId, lease.toMillis(), null).jobs();
        return probe.isEmpty() ? null : probe.getFirst();
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
