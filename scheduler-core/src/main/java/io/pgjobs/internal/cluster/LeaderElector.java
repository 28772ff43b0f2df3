package io.pgjobs.internal.cluster;

import io.pgjobs.SchedulerEvent;
import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.NodeStore;
import io.pgjobs.internal.store.NodeStore.LeaderSession;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Elects the cluster's leader with a PostgreSQL session advisory lock held on a connection of its own. Every
 * round, a follower borrows a connection and tries the lock (giving the connection back if it is taken); the
 * leader keeps its connection and checks through it that its session still holds the lock. Any failure drops
 * leadership at once and closes that connection: the server releases a session's locks when the session ends,
 * so at most one node leads, and when a leader dies (process, connection, or server restart) another takes over
 * within one round. A leader that freezes is ended by the server through {@code idle_session_timeout}.
 * Gaining and losing leadership are reported to {@link Telemetry} as {@link SchedulerEvent.LeaderChanged}.
 */
final class LeaderElector extends BackgroundLoop {
    private final NodeStore store;
    private final String nodeId;
    private final Duration every;
    private final Duration idleLimit;
    private final Telemetry telemetry;
    private final Runnable onElected;
    /** The leader's session; null while following. Only touched by the loop's thread. */
    private LeaderSession session;
    private volatile boolean leader;

    LeaderElector(NodeStore store, String nodeId, Duration every, Duration idleLimit,
                  Telemetry telemetry, Runnable onElected) {
        super("pgjobs-leader");
        this.store = store;
        this.nodeId = nodeId;
        this.every = every;
        this.idleLimit = idleLimit;
        this.telemetry = telemetry;
        this.onElected = onElected;
    }

    boolean isLeader() {
        return leader;
    }

    @Override
    protected Duration runOnce() throws SQLException {
        try {
            if (session == null) {
                tryToLead();
            } else if (!session.holdsLock()) {
                log.warn("node {} no longer holds the leader lock on its session (is the connection going through a "
                        + "transaction-pooling proxy?); stepping down", nodeId);
                stepDown();
            }
        } catch (SQLException | RuntimeException e) {
            stepDown();
            throw e;
        }
        return every;
    }

    private void tryToLead() throws SQLException {
        LeaderSession candidate = store.openLeaderSession();
        String previous;
        try {
            if (!candidate.tryLock(idleLimit)) {
                candidate.close();
                return;
            }
            // read before this node counts as leader, so a failure here leaves nothing to report
            previous = candidate.markedLeader(nodeId);
        } catch (SQLException | RuntimeException e) {
            discard(candidate, e);
            throw e;
        }
        session = candidate;
        leader = true;
        log.info("node {} is now the leader", nodeId);
        telemetry.publish(new SchedulerEvent.LeaderChanged(previous, nodeId));
        session.markLeader(nodeId);
        onElected.run();
    }

    /** Drops leadership at once (chores see it on their next round), then releases the lock and the session. */
    private void stepDown() {
        boolean wasLeader = leader;
        leader = false;
        LeaderSession ending = session;
        session = null;
        if (ending == null) {
            return;
        }
        if (wasLeader) {
            log.info("node {} is no longer the leader", nodeId);
            // this node cannot know who leads next; that node reports it
            telemetry.publish(new SchedulerEvent.LeaderChanged(nodeId, null));
        }
        try {
            ending.close();
        } catch (SQLException | RuntimeException e) {
            discard(ending, e);
        }
    }

    /** Ends a session whose state is unknown (see {@link LeaderSession#discard}). */
    private void discard(LeaderSession session, Exception cause) {
        session.discard(cause);
        log.debug("discarded the leader connection of node {} after: {}", nodeId, cause.toString());
    }

    @Override
    protected void afterLastRound() {
        stepDown();
    }
}
