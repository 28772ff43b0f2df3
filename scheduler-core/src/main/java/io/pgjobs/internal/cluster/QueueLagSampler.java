package io.pgjobs.internal.cluster;

import io.pgjobs.internal.store.MaintenanceStore;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Writes every queue's lag, waiting and running jobs into the per-minute {@code queue_lag} (V6), for the
 * dashboard's lag chart. Only the leader samples, so the cost does not grow with the cluster; it samples several
 * times a minute so that every minute gets a sample even when a round runs late, and the minute's row keeps the
 * largest values. A sample that runs past its timeout is skipped until the next interval rather than retried at
 * once: repeating an expensive read would add to the load of a database that is already slow.
 */
final class QueueLagSampler extends LeaderChore {
    private final MaintenanceStore store;
    private final Duration queryTimeout;

    QueueLagSampler(MaintenanceStore store, LeaderElector leader, Duration interval, Duration queryTimeout) {
        super("pgjobs-queue-lag", leader, interval);
        this.store = store;
        this.queryTimeout = queryTimeout;
    }

    @Override
    protected Duration runAsLeader() throws SQLException {
        try {
            store.sampleQueueLag(queryTimeout);
        } catch (SQLException e) {
            if (!MaintenanceStore.QUERY_CANCELED.equals(e.getSQLState())) {
                throw e;
            }
            log.warn("{}: the sample ran past {}; the next one comes in {}", name(), queryTimeout, interval());
        }
        return interval();
    }
}
