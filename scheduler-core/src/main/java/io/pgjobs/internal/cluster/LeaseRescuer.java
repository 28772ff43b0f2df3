package io.pgjobs.internal.cluster;

import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.MaintenanceStore;
import io.pgjobs.internal.store.MaintenanceStore.Rescued;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Gives back the jobs of nodes that crashed or froze: a running job whose lease expired returns to retryable
 * (or is discarded when its attempts are spent, or cancelled if a cancel was requested), with a 'lost' attempt
 * naming the node. Every job it takes back counts in the rescued-jobs metric, whatever became of it. See
 * {@link MaintenanceStore#rescueLostJobs}.
 */
final class LeaseRescuer extends MaintenanceChore {
    private final MaintenanceStore store;
    private final Telemetry telemetry;

    LeaseRescuer(MaintenanceStore store, LeaderElector leader, Duration interval, Duration queryTimeout,
                 Telemetry telemetry) {
        super("pgjobs-rescuer", "jobs rescued (lease expired)", leader, interval, 1_000, queryTimeout);
        this.store = store;
        this.telemetry = telemetry;
    }

    @Override
    protected int runBatch(int limit, Duration timeout) throws SQLException {
        int rescued = 0;
        for (Rescued group : store.rescueLostJobs(limit, timeout)) {
            telemetry.rescued(group.queue(), group.kind(), group.count());
            rescued += group.count();
        }
        return rescued;
    }
}
