package io.pgjobs.internal.cluster;

import io.pgjobs.SchedulerEvent;
import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.NodeStore;
import io.pgjobs.internal.store.NodeStore.NodeInfo;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Keeps this node's row in {@code nodes} alive: registers it on the first round, then stamps
 * {@code heartbeat_at = now()} (database time) and whether this node leads. A node whose row vanished (removed
 * as dead while it was frozen) registers again. Each registration is reported as this node joining. On stop it
 * marks the row stopped.
 */
final class Heartbeat extends BackgroundLoop {
    private final NodeStore store;
    private final NodeInfo node;
    private final LeaderElector leader;
    private final Duration every;
    private final Telemetry telemetry;
    private boolean registered;

    Heartbeat(NodeStore store, NodeInfo node, LeaderElector leader, Duration every, Telemetry telemetry) {
        super("pgjobs-heartbeat");
        this.store = store;
        this.node = node;
        this.leader = leader;
        this.every = every;
        this.telemetry = telemetry;
    }

    @Override
    protected Duration runOnce() throws SQLException {
        if (!registered) {
            store.register(node, leader.isLeader());
            registered = true;
            telemetry.publish(new SchedulerEvent.NodeJoined(node.id()));
        } else if (!store.heartbeat(node.id(), leader.isLeader())) {
            log.warn("the row of node {} was gone (removed as dead?); registering again", node.id());
            store.register(node, leader.isLeader());
            telemetry.publish(new SchedulerEvent.NodeJoined(node.id()));
        }
        return every;
    }

    @Override
    protected void afterLastRound() {
        if (!registered) {
            return;
        }
        registered = false;
        try {
            store.markStopped(node.id());
        } catch (SQLException e) {
            log.warn("could not mark node {} stopped; it will count as dead once its heartbeat is old: {}",
                    node.id(), e.toString());
        }
    }
}
