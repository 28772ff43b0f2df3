package io.pgjobs.internal.cluster;

import java.sql.SQLException;
import java.time.Duration;

/**
 * Deletes the rows of nodes that have been silent for {@link #REMOVE_AFTER}: long after they count as dead
 * (after {@code nodeDeadAfter}), so operators can still see a crashed node for a while. Their jobs do not depend
 * on the row: the rescuer returns them once their leases expire.
 */
final class DeadNodeCleaner extends MaintenanceChore {
    static final Duration REMOVE_AFTER = Duration.ofHours(1);

    private final MaintenanceStore store;

    DeadNodeCleaner(MaintenanceStore store, LeaderElector leader, Duration interval, Duration queryTimeout) {
        super("pgjobs-node-cleaner", "nodes removed (silent for over " + REMOVE_AFTER + ")", leader, interval, 100,
                queryTimeout);
        this.store = store;
    }

    @Override
    protected int runBatch(int limit, Duration timeout) throws SQLException {
        return store.deleteDeadNodes(REMOVE_AFTER, limit, timeout);
    }
}
