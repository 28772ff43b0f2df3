package io.pgjobs.internal.runtime;

import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.store.LimitShareStore;
import java.time.Duration;
import java.util.List;

/**
 * Renews this node's {@link LimitShare}s: each a third of a lease after its last renewal, and sooner when it
 * should change (its fetcher wants more slots, or it holds slots another node waits for: see
 * {@link LimitShare#dueIn}). It runs until the node's jobs have drained, so the shares cover them to the end, and
 * then gives every share back but for jobs that still execute ({@link #afterLastRound}).
 */
final class LimitShareKeeper extends BackgroundLoop {
    private final List<LimitShare> shares;
    private final LimitShareStore store;
    private final String nodeId;
    private final Duration pollInterval;

    LimitShareKeeper(List<LimitShare> shares, LimitShareStore store, String nodeId, Duration pollInterval) {
        super("pgjobs-limit-shares");
        this.shares = List.copyOf(shares);
        this.store = store;
        this.nodeId = nodeId;
        this.pollInterval = pollInterval;
        shares.forEach(share -> share.onAsk(this::wake));
    }

    @Override
    protected Duration runOnce() throws Exception {
        Duration next = pollInterval;
        for (LimitShare share : shares) {
            Duration due = share.dueIn(System.nanoTime());
            if (due != null && due.isZero()) {
                share.renew(store, nodeId);
                due = share.dueIn(System.nanoTime());
            }
            if (due != null && due.compareTo(next) < 0) {
                next = due;
            }
        }
        return next;
    }

    @Override
    protected void afterLastRound() {
        for (LimitShare share : shares) {
            try {
                share.release(store, nodeId);
            } catch (Exception e) {
                log.warn("could not give back this node's share of queue {}'s limit; it expires within a lease: {}",
                        share.queue(), e.toString(), e);
            }
        }
    }
}
