package io.pgjobs.internal.runtime;

import io.pgjobs.Health;
import io.pgjobs.Health.Status;
import io.pgjobs.internal.config.Config;
import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.observe.NodeHeartbeat;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * This node's heartbeat as its own loops show it. A loop whose thread died, or that has been stuck in one
 * round (a query that never returns, say) is {@link Status#DOWN}: restarting the process helps. A loop whose
 * rounds keep failing (the database is unreachable) is only {@link Status#DEGRADED}: a restart would not help,
 * and the loop recovers by itself when the database is back.
 */
final class LoopHeartbeat implements NodeHeartbeat {
    private static final Duration MIN_STUCK_AFTER = Duration.ofSeconds(60);
    private static final Duration MIN_STALE_AFTER = Duration.ofSeconds(15);

    private final Supplier<Node.State> state;
    private final Supplier<List<BackgroundLoop>> loops;
    private final Duration stuckAfter;
    private final Duration staleAfter;

    LoopHeartbeat(Supplier<Node.State> state, Supplier<List<BackgroundLoop>> loops, Duration stuckAfter,
                  Duration staleAfter) {
        this.state = state;
        this.loops = loops;
        this.stuckAfter = stuckAfter;
        this.staleAfter = staleAfter;
    }

    static LoopHeartbeat of(Config config, Supplier<Node.State> state, Supplier<List<BackgroundLoop>> loops) {
        Duration lease = config.leaseDuration();
        // the longest a healthy loop waits between rounds is the poll interval, a third of the lease, or (the
        // cluster's heartbeat and leader election) a sixth of nodeDeadAfter; stale means three rounds missed
        Duration staleAfter = max(lease, config.pollInterval().multipliedBy(3));
        staleAfter = max(staleAfter, config.nodeDeadAfter().dividedBy(2));
        return new LoopHeartbeat(state, loops, max(MIN_STUCK_AFTER, lease.multipliedBy(2)),
                max(MIN_STALE_AFTER, staleAfter));
    }

    @Override
    public Health.Check check() {
        Node.State state = this.state.get();
        if (state == Node.State.NEW) {
            return check(Status.UNKNOWN, "not started (a scheduler that only enqueues)");
        }
        if (state == Node.State.STOPPED) {
            return check(Status.DOWN, "stopped");
        }
        List<BackgroundLoop> loops = this.loops.get();
        for (BackgroundLoop loop : loops) {
            if (!loop.isAlive()) {
                return check(Status.DOWN, loop.name() + " is not running");
            }
            if (loop.currentRoundAge().compareTo(stuckAfter) > 0) {
                return check(Status.DOWN, loop.name() + " has been stuck in one round for "
                        + loop.currentRoundAge().toSeconds() + " s");
            }
        }
        for (BackgroundLoop loop : loops) {
            if (loop.sinceLastGoodRound().compareTo(staleAfter) > 0) {
                return check(Status.DEGRADED, loop.name() + " has not finished a round without error for "
                        + loop.sinceLastGoodRound().toSeconds() + " s (see its warnings in the log)");
            }
        }
        return check(Status.UP, loops.size() + " loops running, each finished a round within the last "
                + staleAfter.toSeconds() + " s");
    }

    private static Health.Check check(Status status, String detail) {
        return new Health.Check(Health.NODE_CHECK, status, detail);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
