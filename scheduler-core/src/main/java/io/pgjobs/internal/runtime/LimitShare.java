package io.pgjobs.internal.runtime;

import io.pgjobs.internal.config.Config.QueueFlow;
import io.pgjobs.internal.store.LimitShareStore;
import io.pgjobs.internal.store.LimitShareStore.Grant;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * This node's share of a queue-wide concurrency limit (docs/flow-control.md, "Shares of a queue limit"): how many
 * of the queue's jobs may execute here at once, leased in the database ({@link LimitShareStore}) so that the
 * shares of all nodes never sum to more than the limit. The queue's {@link QueueFetcher} claims as for an
 * unlimited queue and starts a job only through {@link #tryStart}: while fewer than the share's slots execute
 * here and the share is valid. The {@link LimitShareKeeper} renews it.
 *
 * <p>A start is allowed only within half the lease from the moment the renewal that granted the share was sent:
 * the database counts the share until the whole lease from a moment after that, so a node that froze between the
 * check and its handler's start (past the share's end) finds, by {@link JobExecution#run}'s own check, that more
 * than half a job lease passed since the job's claim, sent before the check, and does not start it.
 *
 * <p>What the node asks for ({@link #wanted}): while its claims find work (every claim full, or jobs buffered),
 * its concurrency, at most the limit; once a claim finds fewer jobs than it could take, only what executes, so
 * that an idle node leaves its slots to the others. A renewal never gives back slots whose jobs execute: it keeps
 * the jobs executing when it is sent, and while it is in flight no job starts but in the place of one that ended
 * (the database may answer with fewer slots than the node held, never with fewer than those it keeps, while the
 * share had not expired).
 */
final class LimitShare {
    /** How soon a node below its fair part, or above it while others wait, renews again. */
    private static final long ASK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /**
     * How often a node renews a share it holds otherwise (at most a third of the lease): how soon it learns that
     * another node waits for its fair part (and stops starting jobs beyond its own), or that slots came free.
     */
    private static final long RENEW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final String queue;
    private final int limit;
    /** The most this node can use: its concurrency, at most the limit. */
    private final int cap;
    private final long leaseMs;
    private final long leaseNanos;
    /** Wakes the keeper: the share should change now (the node wants more, or holds what it should give back). */
    private volatile Runnable askNow = () -> {};
    /**
     * Wakes the fetcher: after a renewal with room in the share (it grew, or jobs were held back while it was in
     * flight), buffered jobs may start and more may be claimed.
     */
    private volatile Runnable roomAgain = () -> {};

    // guarded by this
    private int slots;
    private int executing;
    /** While a renewal is in flight, the jobs it keeps: no more may execute until it answers; -1 otherwise. */
    private int renewing = -1;
    private int fair;
    private boolean othersWaiting;
    private boolean demand = true;
    /** Whether the database holds a row of this share (granted, and not released). */
    private boolean held;
    /** When the last renewal was sent (System.nanoTime), and until when a job may start under its grant. */
    private long renewedAt;
    private long startsUntil;
    /**
     * What the database did to the share, as this node saw it (the metrics' {@code pgjobs.limit.share.changes}):
     * renewals that grew or shrank it, renewals sent after the last grant had expired (the database had dropped
     * it), and releases that gave slots back.
     */
    private long grown;
    private long shrunk;
    private long expired;
    private long released;

    LimitShare(String queue, int limit, int concurrency, Duration lease) {
        this.queue = queue;
        this.limit = limit;
        this.cap = Math.min(limit, concurrency);
        this.leaseMs = lease.toMillis();
        this.leaseNanos = lease.toNanos();
        this.renewedAt = System.nanoTime() - leaseNanos;
        this.startsUntil = renewedAt;
    }

    /**
     * Whether a queue with {@code flow} runs under shares: its only flow control is a queue-wide limit (partition
     * limits, ordered keys and rates need the flow claim, which counts and chooses each job).
     */
    static boolean covers(QueueFlow flow) {
        return flow != null && flow.queueLimit() != null && flow.partitionLimit() == null
                && flow.orderedKeys() == null && flow.rateLimit() == null;
    }

    String queue() {
        return queue;
    }

    void onAsk(Runnable keeperWake) {
        this.askNow = keeperWake;
    }

    void onRoomAgain(Runnable fetcherWake) {
        this.roomAgain = fetcherWake;
    }

    /** Takes a slot of the share for a job about to start; false if none is free or the share is not valid now. */
    synchronized boolean tryStart(long now) {
        if (startable(now) == 0) {
            return false;
        }
        executing++;
        return true;
    }

    /** A job started by {@link #tryStart} has ended. */
    void ended() {
        boolean ask;
        synchronized (this) {
            executing--;
            ask = shouldAsk();
        }
        if (ask) {
            askNow.run();
        }
    }

    /** How many more jobs may start now under the share. */
    synchronized int startable(long now) {
        // while others wait for their fair part, the jobs beyond this node's fair part are not replaced
        int room = othersWaiting ? Math.min(slots, fair) : slots;
        if (renewing >= 0) {
            room = Math.min(room, renewing);
        }
        return now - startsUntil < 0 ? Math.max(0, room - executing) : 0;
    }

    /** Whether the fetcher's last claim found as much work as it could take (or jobs wait in its buffer). */
    void demand(boolean found) {
        boolean ask;
        synchronized (this) {
            demand = found;
            ask = shouldAsk();
        }
        if (ask) {
            askNow.run();
        }
    }

    private int wanted() {
        return demand ? cap : executing;
    }

    /**
     * Whether the share should change now: the node holds none and wants some, is below what it wants and its
     * fair part, or holds spare slots.
     */
    private boolean shouldAsk() {
        int wanted = wanted();
        boolean spare = executing < slots && (slots > wanted || (othersWaiting && slots > fair));
        return spare || (wanted > slots && (!held || slots < Math.min(wanted, fair)));
    }

    /** How long until this share is due for renewal (zero: now); null while the node holds none and wants none. */
    synchronized Duration dueIn(long now) {
        if (!held && wanted() == 0) {
            return null;
        }
        long due = renewedAt + Math.min(leaseNanos / 3, shouldAsk() ? ASK_NANOS : RENEW_NANOS);
        return Duration.ofNanos(Math.max(0, due - now));
    }

    /** Renews the share as the node needs it now (the keeper's thread only). */
    void renew(LimitShareStore store, String nodeId) throws SQLException {
        lease(store, nodeId, false);
    }

    /** Gives the share back but for the jobs still executing (a stopping node, after its jobs drained). */
    void release(LimitShareStore store, String nodeId) throws SQLException {
        lease(store, nodeId, true);
    }

    private void lease(LimitShareStore store, String nodeId, boolean releasing) throws SQLException {
        int wanted;
        int keep;
        synchronized (this) {
            if (releasing) {
                demand = false;
            }
            wanted = wanted();
            keep = executing;
            renewing = keep;
        }
        long sent = System.nanoTime();
        Grant grant = null;
        boolean room = false;
        try {
            grant = store.lease(queue, nodeId, limit, wanted, keep, leaseMs);
        } finally {
            synchronized (this) {
                renewing = -1;
                if (grant != null) {
                    count(releasing, sent, grant.slots());
                    slots = grant.slots();
                    fair = grant.fair();
                    othersWaiting = grant.othersWaiting();
                    held = grant.slots() > 0 || wanted > 0;
                    renewedAt = sent;
                    startsUntil = sent + TimeUnit.MILLISECONDS.toNanos(grant.lastsMs()) / 2;
                    room = startable(System.nanoTime()) > 0;
                } else {
                    // the database may or may not have taken the smaller share: none beyond it starts till it answers
                    slots = Math.min(slots, keep);
                }
            }
        }
        if (room) {
            roomAgain.run();
        }
    }

    /** Counts what a renewal sent at {@code sent} that answered {@code granted} slots did to the share. */
    private void count(boolean releasing, long sent, int granted) {
        if (held && sent - (renewedAt + leaseNanos) > 0) {
            expired++;
        }
        if (releasing && granted < slots) {
            released++;
        } else if (granted > slots) {
            grown++;
        } else if (granted < slots) {
            shrunk++;
        }
    }

    /** The slots the share holds now (the metrics' gauge). */
    synchronized int slots() {
        return slots;
    }

    /** How many times the share changed so: {@code grown}, {@code shrunk}, {@code expired} or {@code released}. */
    synchronized long changes(String change) {
        return switch (change) {
            case "grown" -> grown;
            case "shrunk" -> shrunk;
            case "expired" -> expired;
            case "released" -> released;
            default -> throw new IllegalArgumentException(change);
        };
    }
}
