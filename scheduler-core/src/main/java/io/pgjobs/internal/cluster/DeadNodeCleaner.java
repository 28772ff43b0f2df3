package io.pgjobs.internal.cluster;

import io.pgjobs.SchedulerEvent;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.MaintenanceStore;
import io.pgjobs.internal.store.MaintenanceStore.RemovedNodes;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Deletes the rows of nodes that have been silent for {@link #REMOVE_AFTER}: long after they count as dead
 * (after {@code nodeDeadAfter}), so operators can still see a crashed node for a while. Their jobs do not depend
 * on the row: the rescuer returns them once their leases expire. Removing the row of a node that never marked
 * itself stopped is reported as {@link SchedulerEvent.NodeLost}: the delete happens once, so the event does too,
 * on the leader that removed it (a node that closed is not lost).
 */
final class DeadNodeCleaner extends MaintenanceChore {
    static final Duration REMOVE_AFTER = Duration.ofHours(1);

    private final MaintenanceStore store;
    private final Telemetry telemetry;

    DeadNodeCleaner(MaintenanceStore store, LeaderElector leader, Duration interval, Duration queryTimeout,
                    Telemetry telemetry) {
        super("pgjobs-node-cleaner", "nodes removed (silent for over " + REMOVE_AFTER + ")", leader, interval, 100,
                queryTimeout);
        this.store = store;
        this.telemetry = telemetry;
    }

    @Override
    protected int runBatch(int limit, Duration timeout) throws SQLException {
        RemovedNodes removed = store.deleteDeadNodes(REMOVE_AFTER, limit, timeout);
        removed.lost().forEach(nodeId -> telemetry.publish(new SchedulerEvent.NodeLost(nodeId)));
        return removed.count();
    }
}
