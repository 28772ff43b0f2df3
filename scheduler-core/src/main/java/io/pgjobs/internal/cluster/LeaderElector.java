package io.pgjobs.internal.cluster;

import io.pgjobs.SchedulerEvent;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.runtime.BackgroundLoop;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

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
    private final DataSource dataSource;
    private final NodeStore store;
    private final String nodeId;
    private final Duration every;
    private final Duration idleLimit;
    private final Telemetry telemetry;
    private final Runnable onElected;
    /** The leader's session; null while following. Only touched by the loop's thread. */
    private Connection session;
    private volatile boolean leader;

    LeaderElector(DataSource dataSource, NodeStore store, String nodeId, Duration every, Duration idleLimit,
                  Telemetry telemetry, Runnable onElected) {
        super("pgjobs-leader");
        this.dataSource = dataSource;
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
            } else if (!store.holdsLeaderLock(session)) {
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
        Connection candidate = dataSource.getConnection();
        String previous;
        try {
            candidate.setAutoCommit(true);
            if (!store.tryLeaderLock(candidate, idleLimit)) {
                candidate.close();
                return;
            }
            // read before this node counts as leader, so a failure here leaves nothing to report
            previous = store.markedLeader(candidate, nodeId);
        } catch (SQLException | RuntimeException e) {
            discard(candidate, e);
            throw e;
        }
        session = candidate;
        leader = true;
        log.info("node {} is now the leader", nodeId);
        telemetry.publish(new SchedulerEvent.LeaderChanged(previous, nodeId));
        store.markLeader(session, nodeId);
        onElected.run();
    }

    /** Drops leadership at once (chores see it on their next round), then releases the lock and the session. */
    private void stepDown() {
        boolean wasLeader = leader;
        leader = false;
        Connection ending = session;
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
            store.releaseLeaderLock(ending);
            ending.close();
        } catch (SQLException | RuntimeException e) {
            discard(ending, e);
        }
    }

    /**
     * Closes a connection whose state is unknown without letting a pool hand it out again: if it might still
     * hold the lock, only ending its server session frees the lock.
     */
    private void discard(Connection connection, Exception cause) {
        Executor inline = Runnable::run;
        try {
            connection.abort(inline);
        } catch (SQLException | RuntimeException e) {
            cause.addSuppressed(e);
        }
        try {
            connection.close();
        } catch (SQLException | RuntimeException e) {
            cause.addSuppressed(e);
        }
        log.debug("discarded the leader connection of node {} after: {}", nodeId, cause.toString());
    }

    @Override
    protected void afterLastRound() {
        stepDown();
    }
}
