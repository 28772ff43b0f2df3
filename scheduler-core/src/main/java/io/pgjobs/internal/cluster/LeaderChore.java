package io.pgjobs.internal.cluster;

import io.pgjobs.internal.loop.BackgroundLoop;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What every chore of the leader shares: it does nothing unless this node leads, and its first round waits a
 * random delay (so a new leader's chores do not all hit the database at once). Errors are the
 * {@link BackgroundLoop}'s: logged, then retried with a growing pause. Chores that work through a backlog build
 * on {@link MaintenanceChore}; one that takes a reading every interval builds on this directly.
 */
abstract class LeaderChore extends BackgroundLoop {
    private static final long MAX_FIRST_DELAY_MS = 1_000;

    private final LeaderElector leader;
    private final Duration interval;
    private boolean started;

    LeaderChore(String name, LeaderElector leader, Duration interval) {
        super(name);
        this.leader = leader;
        this.interval = interval;
    }

    /** One round on the leader; returns how long to wait before the next. */
    protected abstract Duration runAsLeader() throws SQLException;

    @Override
    protected final Duration runOnce() throws SQLException {
        if (!started) {
            started = true;
            return Duration.ofMillis(ThreadLocalRandom.current().nextLong(1 + Math.min(interval.toMillis(), MAX_FIRST_DELAY_MS)));
        }
        if (!leader.isLeader()) {
            return interval;
        }
        return runAsLeader();
    }

    /** How long the chore waits between rounds when there is nothing more to do. */
    final Duration interval() {
        return interval;
    }
}
