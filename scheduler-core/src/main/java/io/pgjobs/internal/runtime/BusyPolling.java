package io.pgjobs.internal.runtime;

import io.pgjobs.internal.store.BusyQueueStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fetcher's promise to poll its queue on its own (V43's {@code busy_queues}, docs/architecture.md, "The
 * wake-up"), and how long the fetcher waits between rounds because of it.
 *
 * <p>A fetcher that claims at least {@link #MIN_JOBS} jobs in a {@link #WINDOW_NANOS} window promises, in the
 * database, to poll for {@link #PROMISE} and polls every {@link #POLL} while the promise holds: enqueues into its
 * queue then skip their notification. It renews the promise at the end of every busy window and withdraws it as
 * soon as its claims find nothing for {@link #IDLE} or a window ends below the rate, so that an idle queue's
 * enqueues notify again and the node stops polling an empty queue. For {@link #GRACE} after the promise ended it
 * keeps polling, for transactions that read the promise and commit a moment later, but backs off while its polls
 * find nothing: twice as long after each, up to {@link #GRACE_POLL_MAX}.
 *
 * <p>Times are the node's ({@code clock}, nanoseconds), the promise's end in the database lies earlier than the
 * fetcher's: it is counted from the answer to the write.
 */
final class BusyPolling {
    private static final Logger log = LoggerFactory.getLogger(BusyPolling.class);

    /**
     * How many jobs a fetcher must claim in one window to count as busy: below that rate, the enqueues'
     * notifying commits are too few to queue for the notification's lock, and an idle node's notification is
     * the fastest wake-up.
     */
    static final int MIN_JOBS = 100;
    static final long WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** How often a busy fetcher polls its queue when nothing else wakes it. */
    static final Duration POLL = Duration.ofMillis(2);
    /** How long each promise holds in the database from its renewal (it is renewed every busy window). */
    static final Duration PROMISE = Duration.ofSeconds(1);
    /** How long claims may find nothing before the promise is withdrawn. */
    static final Duration IDLE = Duration.ofMillis(20);
    /** How long the fetcher keeps polling past its promise, for transactions that read it before it ended. */
    static final Duration GRACE = Duration.ofSeconds(2);
    /** The longest wait between two polls of the grace that find nothing. */
    static final Duration GRACE_POLL_MAX = Duration.ofMillis(64);

    private static final long NOT_IDLE = Long.MIN_VALUE;

    private final BusyQueueStore store;
    private final String queue;
    private final String nodeId;
    private final LongSupplier clock;

    /** When the current window began, and how many jobs were claimed in it. */
    private long windowStart;
    private int claimedInWindow;
    /** Since when claims found nothing; {@link #NOT_IDLE} while the last one found work. */
    private long idleSince = NOT_IDLE;
    /** Whether a promise of this fetcher may be in the table (written and not withdrawn since). */
    private boolean promised;
    /** Until when the promise holds, as far as this fetcher knows (earlier once withdrawn). */
    private long promiseEnds;
    /**
     * Until when this fetcher polls: the promise's end and the grace. Written by the fetcher only; volatile for the
     * metrics' gauge ({@link #pollsOnItsOwn}).
     */
    private volatile long pollsUntil;
    /** How many times this fetcher turned busy (began promising after it had not been polling on its own). */
    private final AtomicLong turnedBusy = new AtomicLong();
    /** The next wait of the grace while its polls find nothing. */
    private Duration graceWait = POLL;

    BusyPolling(BusyQueueStore store, String queue, String nodeId, LongSupplier clock) {
        this.store = store;
        this.queue = queue;
        this.nodeId = nodeId;
        this.clock = clock;
        long now = clock.getAsLong();
        this.windowStart = now;
        this.promiseEnds = now;
        this.pollsUntil = now;
    }

    /**
     * After one round of the fetcher, which claimed {@code claimed} jobs (a negative count: it sent no claim, having
     * no free slot or its completions behind), keeps the promise and says how long to wait: the fetcher's own
     * {@code wait}, or less while it polls. A fetcher left {@code saturated} by a full claim is woken by its freed
     * slots, and waits as it would.
     */
    Duration afterRound(int claimed, Duration wait, boolean saturated) throws Exception {
        long now = clock.getAsLong();
        if (claimed > 0) {
            claimedInWindow += claimed;
            idleSince = NOT_IDLE;
            graceWait = POLL;
        } else if (claimed == 0 && idleSince == NOT_IDLE) {
            idleSince = now;
        }
        boolean idle = idleSince != NOT_IDLE && now - idleSince >= IDLE.toNanos();
        if (now - windowStart >= WINDOW_NANOS) {
            boolean busy = !idle
                    && (double) claimedInWindow / MIN_JOBS >= (double) (now - windowStart) / WINDOW_NANOS;
            windowStart = now;
            claimedInWindow = 0;
            if (busy) {
                promise(now);
            } else if (holds(now)) {
                withdraw();
            }
        } else if (idle && holds(now)) {
            withdraw();
        }
        return waitAfter(claimed, wait, saturated);
    }

    private Duration waitAfter(int claimed, Duration wait, boolean saturated) {
        long now = clock.getAsLong();
        if (saturated || now - pollsUntil >= 0 || wait.compareTo(POLL) <= 0) {
            return wait;
        }
        if (holds(now)) {
            return POLL;
        }
        Duration graceNow = graceWait;
        if (claimed == 0) {
            graceWait = min(graceWait.multipliedBy(2), GRACE_POLL_MAX);
        }
        return min(graceNow, wait);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Whether this fetcher's promise may hold now: it polls every {@link #POLL}. */
    boolean holds(long now) {
        return promised && now - promiseEnds < 0;
    }

    private void promise(long now) throws Exception {
        if (now - pollsUntil >= 0) { // turning busy
            turnedBusy.incrementAndGet();
            store.deleteStale(queue);
        }
        promised = true;
        try {
            store.promise(queue, nodeId, PROMISE);
        } finally {
            // set even when no answer came: the promise may have been written
            long answered = clock.getAsLong();
            promiseEnds = answered + PROMISE.toNanos();
            pollsUntil = promiseEnds + GRACE.toNanos();
            graceWait = POLL;
        }
    }

    /**
     * Withdraws the promise; the grace runs from the answer. Should the delete fail, the promise may still hold,
     * and this fetcher keeps polling as promised until it ends by itself.
     */
    private void withdraw() throws Exception {
        store.withdraw(queue, nodeId);
        long answered = clock.getAsLong();
        promised = false;
        promiseEnds = answered;
        pollsUntil = answered + GRACE.toNanos();
        graceWait = POLL;
    }

    /** Whether this fetcher polls its queue on its own now: from turning busy to its promise's end and the grace. */
    boolean pollsOnItsOwn() {
        return clock.getAsLong() - pollsUntil < 0;
    }

    /** How many times this fetcher turned busy: began promising to poll its queue on its own. */
    long turnedBusy() {
        return turnedBusy.get();
    }

    /** Withdraws a promise that may still be in the table, as the fetcher stops: enqueues notify the other nodes. */
    void withdrawOnStop() {
        try {
            if (promised) {
                withdraw();
            }
        } catch (Exception e) {
            log.warn("{}: could not withdraw the busy promise (it ends by itself within {}): {}", queue, PROMISE,
                    e.toString());
        } finally {
            pollsUntil = clock.getAsLong(); // a stopped fetcher polls no more
        }
    }

}
