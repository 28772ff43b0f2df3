package io.pgjobs.internal.cluster;

import java.sql.SQLException;
import java.time.Duration;

/**
 * Gives back the jobs of nodes that crashed or froze: a running job whose lease expired returns to retryable
 * (or is discarded when its attempts are spent, or cancelled if a cancel was requested), with a 'lost' attempt
 * naming the node. See {@link MaintenanceStore#rescueLostJobs}.
 */
final class LeaseRescuer extends MaintenanceChore {
    private final MaintenanceStore store;

    LeaseRescuer(MaintenanceStore store, LeaderElector leader, Duration interval, Duration queryTimeout) {
        super("pgjobs-rescuer", "jobs rescued (lease expired)", leader, interval, 1_000, queryTimeout);
        this.store = store;
    }

    @Override
    protected int runBatch(int limit, Duration timeout) throws SQLException {
        return store.rescueLostJobs(limit, timeout);
    }
}
