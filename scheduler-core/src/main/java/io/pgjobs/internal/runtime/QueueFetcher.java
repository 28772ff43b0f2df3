package io.pgjobs.internal.runtime;

import io.pgjobs.PartitionKey;
import io.pgjobs.internal.config.Config.QueueFlow;
import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.store.BusyQueueStore;
import io.pgjobs.internal.store.ClaimedJob;
import io.pgjobs.internal.store.ExecutionStore;
import io.pgjobs.internal.store.ExecutionStore.Claim;
import io.pgjobs.internal.store.ExecutionStore.ClaimPosition;
import io.pgjobs.internal.store.FlowStore;
import io.pgjobs.internal.store.FlowStore.FlowClaim;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Claims the jobs of one queue for this node and starts them. It never claims more than the queue's free
 * execution slots and a buffer of jobs claimed ahead (below), and nothing while the completer has a full batch of
 * finished jobs to write (backpressure from the database). It fetches when woken
 * by a notification, when slots free up after a full claim (more work is likely waiting), or on the poll
 * interval.
 *
 * <p>A queue without flow control also claims ahead: up to its concurrency more jobs than it has free slots
 * (more, up to {@link #MAX_AHEAD}, while its jobs start fast: {@link #adjustAhead}), into a buffer from which a
 * slot that frees up takes its next job at once, without waiting for a claim. So a claim is made when a
 * concurrency's worth of jobs can be taken (not when a quarter of the slots are free), takes about twice as many
 * jobs, and overlaps the jobs still running. A buffered job is claimed like any other (it is
 * running in the database, under this node's lease, and counts as such everywhere); its lease is not renewed
 * until it starts, so it is taken from the buffer only within {@link #UNUSED_AHEAD_NANOS} (at most a quarter of
 * the lease) from the moment its claim was sent (and then, like every claimed job, its handler starts only within
 * half the lease: {@link JobExecution#run}). Buffered jobs that waited that long (the jobs run slower than the
 * buffer assumed) or are left when the fetcher stops are put back as they were, the attempt given back
 * ({@link Workers#putBack}), and after such a put-back the queue claims only its free slots for a while
 * ({@link #aheadPause}). A node killed with jobs in its buffer leaves them to the rescuer, like any job it
 * claimed. A queue limited only per partition or by ordered keys claims ahead too, up to its concurrency (a
 * buffer that does not grow): a buffered job counts under its partition's limit and holds its key, so no limit is
 * exceeded and no key runs twice at once, and the price, a partition's slot held for up to the buffer's time, is
 * one job's among as many partitions or keys as the queue has running. A queue with a limit of its own or a rate
 * limit claims only its free slots: a buffered job would hold a place under the queue-wide limit or a start of
 * the rate that another node could use at once; so does a queue with flow control whose kinds have a circuit per
 * partition, whose probes must not wait in a buffer (docs/flow-control.md, "Claiming ahead").
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
 *
 * <p>Kinds whose breaker has a circuit per partition are claimed through {@link FlowStore#claimFlow}, which asks
 * each job's partition's circuit and takes the partitions' probes: in a queue with flow control together with its
 * other kinds; in a queue without, by a claim of their own next to the ordinary one, into free slots only (never
 * ahead), the two taking turns to go first so that neither kind's backlog keeps the other's jobs waiting.
 *
 * <p>A fetcher that keeps finding work polls its queue on its own every few milliseconds and promises so in the
 * database ({@link BusyPolling}), so that enqueues into the queue skip their notification: a notifying commit takes
 * a lock for the whole server until its WAL is flushed (docs/architecture.md, "The wake-up").
 *
 * <p>A queue whose only flow control is a queue-wide limit is claimed as a queue without flow control (ahead into
 * the buffer too), and its jobs start only within this node's {@link LimitShare} of the limit.
 */
final class QueueFetcher extends BackgroundLoop {
    private static final int MAX_BATCH = 1_000;
    private static final long HEAD_CLAIM_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** How soon to look again while the completer is behind. */
    private static final Duration COMPLETIONS_BEHIND_WAIT = Duration.ofMillis(5);
    /** How long a job claimed ahead may wait in the buffer before it is put back (at most a quarter lease). */
    private static final long UNUSED_AHEAD_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** How long a queue claims only its free slots after a put-back of jobs it claimed ahead: at first. */
    static final long MIN_AHEAD_PAUSE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The longest such pause, after put-backs one soon after another (see {@link #aheadPause}). */
    static final long MAX_AHEAD_PAUSE_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** The most a queue of a smaller concurrency claims ahead while its jobs start fast (see {@link #adjustAhead}). */
    static final int MAX_AHEAD = 128;

    private final String queue;
    private final int concurrency;
    /** The kinds this node handles: without a circuit breaker, and with one (claimed while it is closed). */
    private final List<String> kinds;
    private final List<String> guardedKinds;
    /** The kinds with a circuit per partition, and how each finds its partitions (claimed by the flow claim). */
    private final Map<String, PartitionKey> partitionCircuits;
    private final List<String> partitionKinds;
    /** In a queue without flow control, whether the next round claims the kinds with a circuit per partition first. */
    private boolean partitionKindsFirst;
    /** The queue's flow control; null when it has none, or only a limit this node holds a share of. */
    private final QueueFlow flow;
    /** This node's share of the queue's limit, when that is the queue's only flow control; null otherwise. */
    private final LimitShare share;
    private final ExecutionStore store;
    private final FlowStore flowStore;
    private final CircuitBreakers circuits;
    private final String nodeId;
    private final Duration lease;
    private final Duration pollInterval;
    private final BooleanSupplier completionsBehind;
    private final Workers workers;
    private final Semaphore slots;
    /** How many jobs this queue may claim ahead of its free slots at least: its concurrency, or none. */
    private final int aheadLimit;
    /** The most it may claim ahead: {@link #MAX_AHEAD} or its concurrency if more; with flow control, the least. */
    private final int maxAhead;
    /** How many it may claim ahead now, between the two (see {@link #adjustAhead}). */
    private volatile int ahead;
    /** When the last claim of a queue without flow control was sent (System.nanoTime). */
    private long lastClaimNanos = System.nanoTime();
    /**
     * Jobs claimed ahead, oldest first; guarded by itself, with the slots: a job waits here only while no slot is
     * free, since a slot that frees up goes straight to the next buffered job ({@link #slotFreed}).
     */
    private final ArrayDeque<ClaimedJob> buffer = new ArrayDeque<>();
    /** Buffered jobs a freed slot found too old to start, not yet put back; guarded by buffer. */
    private final List<ClaimedJob> expired = new ArrayList<>();
    /** Until when (System.nanoTime) this queue claims no more than its free slots. */
    private volatile long aheadPausedUntil = System.nanoTime();
    /** How long the last such pause was; 0 before the first (the fetcher's thread only). */
    private long aheadPauseNanos;
    /** How long a buffered job may wait for a slot, from its claim: at most a quarter of the lease. */
    private final long unusedAheadNanos;
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
    private final BusyPolling busyPolling;
    /** How many jobs the last round claimed; negative when it sent no claim. */
    private int claimedLastRound;

    /** {@code completionsBehind}: whether the completer has a full batch to write (see {@link Completer#behind()}). */
    QueueFetcher(String queue, int concurrency, QueueFlow flow, LimitShare share, List<String> kinds,
                 ExecutionStore store, FlowStore flowStore, CircuitBreakers circuits, BusyQueueStore busyQueues,
                 String nodeId, Duration lease,
                 Duration pollInterval, BooleanSupplier completionsBehind, Workers workers) {
        super("pgjobs-fetch-" + queue);
        this.queue = queue;
        this.concurrency = concurrency;
        this.share = share;
        this.flow = share != null ? null : flow;
        if (share != null) {
            share.onRoomAgain(this::wake);
        }
        this.rateInterval = this.flow == null || flow.rateLimit() == null ? null
                : Duration.ofNanos(Math.min(pollInterval.toNanos(),
                        Math.max(1_000_000L, (long) (flow.rateLimit().intervalMillis() * 1e6))));
        this.kinds = kinds;
        this.guardedKinds = circuits.kinds();
        this.partitionCircuits = circuits.partitionKeys();
        this.partitionKinds = List.copyOf(partitionCircuits.keySet());
        this.store = store;
        this.flowStore = flowStore;
        this.circuits = circuits;
        this.busyPolling = new BusyPolling(busyQueues, queue, nodeId, System::nanoTime);
        this.nodeId = nodeId;
        this.lease = lease;
        this.pollInterval = pollInterval;
        this.completionsBehind = completionsBehind;
        this.workers = workers;
        this.slots = new Semaphore(concurrency);
        this.aheadLimit = claimsAhead(this.flow, partitionKinds) ? concurrency : 0;
        this.maxAhead = this.flow == null ? Math.max(concurrency, MAX_AHEAD) : aheadLimit;
        this.ahead = aheadLimit;
        this.unusedAheadNanos = Math.min(UNUSED_AHEAD_NANOS, lease.toNanos() / 4);
        this.refillThreshold = Math.max(1, concurrency / 4);
    }

    /**
     * Whether a queue claims ahead of its free slots: without flow control, or limited only per partition and by
     * ordered keys (no limit of its own, no rate limit), its kinds with a circuit per partition (claimed with its
     * others) none.
     */
    private static boolean claimsAhead(QueueFlow flow, List<String> partitionKinds) {
        return flow == null
                || (flow.queueLimit() == null && flow.rateLimit() == null && partitionKinds.isEmpty());
    }

    /** One round of {@link #fetch}, then the busy promise kept, which may shorten the wait ({@link BusyPolling}). */
    @Override
    protected Duration runOnce() throws Exception {
        claimedLastRound = -1;
        Duration wait = fetch();
        return busyPolling.afterRound(claimedLastRound, wait, saturated);
    }

    private Duration fetch() throws Exception {
        long now = System.nanoTime();
        putBackUnused(now);
        if (share != null) {
            startBuffered(now);
        }
        int free = Math.min(claimable(now), MAX_BATCH);
        if (free == 0) {
            return untilNextPutBack(now);
        }
        if (completionsBehind.getAsBoolean()) {
            return COMPLETIONS_BEHIND_WAIT;
        }
        List<ClaimedJob> claimed = new ArrayList<>();
        // a probe only into a free slot (it is first to take one below), never into the buffer, where it could wait
        // and go back while its circuit waits for its outcome
        if (!guardedKinds.isEmpty() && now - nextProbeLook >= 0 && slots.availablePermits() > 0) {
            nextProbeLook = now + pollInterval.toNanos();
            ClaimedJob probe = circuits.probe(this::claimProbe);
            if (probe != null) {
                claimed.add(probe);
            }
        }
        int rest = free - claimed.size();
        if (flow == null) {
            adjustAhead(now);
        }
        if (rest > 0) {
            claimed.addAll(flow != null
                    ? claimFlow(Stream.concat(kinds.stream(), partitionKinds.stream()).toList(), guardedKinds, rest, flow)
                    : claimWithoutFlow(rest, now, claimed.size()));
        }
        List<ClaimedJob> startNow = new ArrayList<>(claimed.size());
        synchronized (buffer) {
            for (ClaimedJob job : claimed) {
                if (tryStart(now)) {
                    startNow.add(job);
                } else {
                    buffer.addLast(job);
                }
            }
            if (share != null && rest > 0) {
                // work found beyond what the share lets start now, or as much as the claim could take
                share.demand(claimed.size() == free || !buffer.isEmpty());
            }
        }
        startNow.forEach(job -> workers.launch(job, this::slotFreed));
        claimedLastRound = claimed.size();
        saturated = claimed.size() == free;
        if (saturated && claimable(System.nanoTime()) > 0) {
            return Duration.ZERO;
        }
        if (rateInterval == null) {
            return untilNextPutBack(System.nanoTime());
        }
        emptyRateClaims = claimed.isEmpty() ? emptyRateClaims + 1 : 0;
        return emptyRateClaims <= 1 ? rateInterval : pollInterval;
    }

    /**
     * Sizes the buffer of jobs claimed ahead to how fast they start. Each claim costs the database about as much
     * however few jobs it takes, and at a small concurrency a buffer of the concurrency ran dry every few jobs:
     * at concurrency 16 a drain made five times as many claims per job as at 100 (docs/performance.md). So while
     * full claims follow one another within an eighth of {@link #unusedAheadNanos} (a buffer runs dry that fast),
     * the buffer doubles, up to {@link #maxAhead}: a full buffer then lasts at most about a quarter of the time its
     * jobs may wait in it. Claims more than half that time apart halve it again, down to the concurrency, and a
     * put-back of jobs that waited too long resets it ({@link #putBackUnused}).
     */
    private void adjustAhead(long now) {
        long sinceLastClaim = now - lastClaimNanos;
        lastClaimNanos = now;
        if (saturated && sinceLastClaim < unusedAheadNanos / 8) {
            ahead = Math.min(maxAhead, ahead * 2);
        } else if (sinceLastClaim > unusedAheadNanos / 2) {
            ahead = Math.max(aheadLimit, ahead / 2);
        }
    }

    /**
     * The claim of a queue without flow control: the ordinary claim, and the kinds with a circuit per partition
     * by a flow claim of their own into the slots free after {@code taken} jobs, taking turns to go first.
     */
    private List<ClaimedJob> claimWithoutFlow(int rest, long now, int taken) throws Exception {
        if (partitionKinds.isEmpty()) {
            return claim(rest, now);
        }
        partitionKindsFirst = !partitionKindsFirst;
        List<ClaimedJob> claimed = new ArrayList<>();
        if (partitionKindsFirst) {
            claimed.addAll(claimPartitionKinds(Math.min(rest, slots.availablePermits() - taken)));
        }
        if (claimed.size() < rest && !(kinds.isEmpty() && guardedKinds.isEmpty())) {
            claimed.addAll(claim(rest - claimed.size(), now));
        }
        if (!partitionKindsFirst) {
            claimed.addAll(claimPartitionKinds(Math.min(rest - claimed.size(),
                    slots.availablePermits() - taken - claimed.size())));
        }
        return claimed;
    }

    private List<ClaimedJob> claimPartitionKinds(int limit) throws Exception {
        return limit > 0 ? claimFlow(partitionKinds, List.of(), limit, QueueFlow.NONE) : List.of();
    }

    /** A flow claim of {@code claimKinds}; the probes of circuits per partition it took are reported. */
    private List<ClaimedJob> claimFlow(List<String> claimKinds, List<String> guarded, int limit, QueueFlow queueFlow)
            throws Exception {
        FlowClaim claim = flowStore.claimFlow(queue, claimKinds, guarded, limit, nodeId, lease.toMillis(), queueFlow,
                partitionCircuits);
        circuits.probesTaken(claim.probes());
        return claim.jobs();
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
                ? flowStore.claimFlow(queue, List.of(kind), List.of(), 1, nodeId, lease.toMillis(), flow, Map.of()).jobs()
                : store.claim(queue, List.of(kind), List.of(), 1, nodeId, lease.toMillis(), null).jobs();
        return probe.isEmpty() ? null : probe.getFirst();
    }

    /**
     * How many jobs a claim may take now: the free slots (within the share, if the queue has one), and while
     * claiming ahead is on, what the buffer has room for.
     */
    private int claimable(long now) {
        synchronized (buffer) {
            int room = now - aheadPausedUntil >= 0 ? ahead - buffer.size() : 0;
            int startable = share == null ? slots.availablePermits()
                    : Math.min(slots.availablePermits(), share.startable(now));
            return startable + Math.max(0, room);
        }
    }

    /** Takes a slot for a job to start now: a free one, and within the share if the queue has one. */
    private boolean tryStart(long now) {
        if (!slots.tryAcquire()) {
            return false;
        }
        if (share != null && !share.tryStart(now)) {
            slots.release();
            return false;
        }
        return true;
    }

    /** Starts the buffered jobs that a grown share has room for (the buffer's oldest first). */
    private void startBuffered(long now) {
        List<ClaimedJob> startNow = new ArrayList<>();
        synchronized (buffer) {
            while (!buffer.isEmpty() && now - buffer.peekFirst().claimSentNanos() < unusedAheadNanos && tryStart(now)) {
                startNow.add(buffer.pollFirst());
            }
            if (!buffer.isEmpty()) {
                share.demand(true);
            }
        }
        startNow.forEach(job -> workers.launch(job, this::slotFreed));
    }

    /**
     * After a full claim, how many jobs a claim must be able to take before the fetcher is woken: a quarter of the
     * slots, or while claiming ahead a whole concurrency's worth (the buffer has run dry), or half the buffer once
     * it has grown past twice the concurrency, so that claims ahead are about twice as big as claims of free slots
     * and a grown buffer is refilled before it runs dry.
     */
    private int refillThreshold(long now) {
        return aheadLimit > 0 && now - aheadPausedUntil >= 0 ? Math.max(concurrency, ahead / 2) : refillThreshold;
    }

    /**
     * Called when a job of this queue has finished running: its slot goes to the next buffered job that may
     * still start (one that has waited less than {@link #unusedAheadNanos} since its claim was sent, so well
     * within its lease, which nothing renews before it starts), or is free again.
     */
    private void slotFreed() {
        long now = System.nanoTime();
        ClaimedJob next = null;
        boolean expiredAny = false;
        if (share != null) {
            share.ended();
        }
        synchronized (buffer) {
            ClaimedJob head;
            while (next == null && (head = buffer.peekFirst()) != null) {
                if (now - head.claimSentNanos() >= unusedAheadNanos) {
                    expired.add(buffer.pollFirst());
                    expiredAny = true;
                } else if (share == null || share.tryStart(now)) {
                    next = buffer.pollFirst();
                } else {
                    break;
                }
            }
            if (next == null) {
                slots.release();
            }
        }
        if (next != null) {
            workers.launch(next, this::slotFreed);
        }
        if (expiredAny || (saturated && claimable(now) >= refillThreshold(now))) {
            wake();
        }
    }

    /**
     * Puts back the buffered jobs that waited {@link #unusedAheadNanos} (the jobs run slower than the buffer
     * assumed), and pauses claiming ahead if any went back. The next claim then starts from the head of the
     * queue: what went back sorts before where the last claim ended.
     */
    private void putBackUnused(long now) {
        List<ClaimedJob> unused = new ArrayList<>();
        synchronized (buffer) {
            unused.addAll(expired);
            expired.clear();
            while (!buffer.isEmpty() && now - buffer.peekFirst().claimSentNanos() >= unusedAheadNanos) {
                unused.add(buffer.pollFirst());
            }
        }
        if (!unused.isEmpty()) {
            aheadPauseNanos = aheadPause(aheadPauseNanos, now - aheadPausedUntil);
            aheadPausedUntil = now + aheadPauseNanos;
            ahead = aheadLimit;
            resumeAfter = null;
            workers.putBack(unused);
        }
    }

    /**
     * How long to claim only free slots after a put-back, given the last such pause ({@code 0}: none yet) and how
     * long ago it ended. A put-back means the jobs ran slower than the buffer assumed, but one alone is often a
     * fresh JVM's first jobs, slow while its classes load and compile: a fresh node paused for the whole
     * {@link #MAX_AHEAD_PAUSE_NANOS} spent its first seconds in claims of a few jobs each, at half the rate
     * (docs/performance.md). So the first pause is short, and each put-back within the longest pause of the
     * previous one's end doubles it, up to that longest: a queue of slow jobs soon claims ahead only rarely.
     */
    static long aheadPause(long lastPauseNanos, long sinceLastPauseEndedNanos) {
        if (lastPauseNanos == 0 || sinceLastPauseEndedNanos >= MAX_AHEAD_PAUSE_NANOS) {
            return MIN_AHEAD_PAUSE_NANOS;
        }
        return Math.min(MAX_AHEAD_PAUSE_NANOS, lastPauseNanos * 2);
    }

    /** How long the fetcher may sleep before the oldest buffered job is due to be put back, at most a poll. */
    private Duration untilNextPutBack(long now) {
        synchronized (buffer) {
            ClaimedJob oldest = buffer.peekFirst();
            if (oldest == null) {
                return pollInterval;
            }
            long dueIn = oldest.claimSentNanos() + unusedAheadNanos - now;
            return Duration.ofNanos(Math.max(1_000_000L, Math.min(dueIn, pollInterval.toNanos())));
        }
    }

    /**
     * Puts back whatever is still buffered: this fetcher claims nothing more, so none of it would start. Withdraws
     * its busy promise, so that enqueues notify the other nodes at once rather than after it ends.
     */
    @Override
    protected void afterLastRound() {
        busyPolling.withdrawOnStop();
        List<ClaimedJob> left = new ArrayList<>();
        synchronized (buffer) {
            left.addAll(expired);
            expired.clear();
            left.addAll(buffer);
            buffer.clear();
        }
        if (!left.isEmpty()) {
            workers.putBack(left);
        }
    }

    int running() {
        return concurrency - slots.availablePermits();
    }

    /** Whether this fetcher polls its queue on its own now (for the metrics' gauge). */
    boolean pollsOnItsOwn() {
        return busyPolling.pollsOnItsOwn();
    }

    /** How many times this fetcher turned busy: began promising to poll its queue on its own. */
    long turnedBusy() {
        return busyPolling.turnedBusy();
    }

    /** Jobs claimed ahead of a free slot and not yet started (or put back). */
    int buffered() {
        synchronized (buffer) {
            return buffer.size();
        }
    }
}
