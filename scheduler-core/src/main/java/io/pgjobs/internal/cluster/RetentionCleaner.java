package io.pgjobs.internal.cluster;

import io.pgjobs.JobState;
import io.pgjobs.internal.store.MaintenanceStore;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/**
 * Deletes finished jobs and their attempts once their retention has passed: completed ones after
 * {@code completedRetention}, cancelled and discarded ones after {@code failedRetention}; and the dashboard's
 * per-minute statistics (job_stats, queue_lag) after {@link #STATISTICS_KEPT} (its charts go back one day).
 */
final class RetentionCleaner extends MaintenanceChore {
    private static final List<String> SUCCEEDED = List.of(JobState.COMPLETED.dbName());
    private static final List<String> FAILED = List.of(JobState.CANCELLED.dbName(), JobState.DISCARDED.dbName());

    static final Duration STATISTICS_KEPT = Duration.ofDays(8);

    private final MaintenanceStore store;
    private final Duration completedRetention;
    private final Duration failedRetention;

    RetentionCleaner(MaintenanceStore store, LeaderElector leader, Duration interval, Duration queryTimeout,
                     Duration completedRetention, Duration failedRetention) {
        super("pgjobs-retention", "finished jobs and old statistics deleted (retention passed)", leader, interval, 1_000, queryTimeout);
        this.store = store;
        this.completedRetention = completedRetention;
        this.failedRetention = failedRetention;
    }

    @Override
    protected int runBatch(int limit, Duration timeout) throws SQLException {
        int deleted = store.deleteFinishedJobs(SUCCEEDED, completedRetention, limit, timeout);
        if (deleted < limit) {
            deleted += store.deleteFinishedJobs(FAILED, failedRetention, limit - deleted, timeout);
        }
        if (deleted < limit) {
            deleted += store.deleteOldStatistics(STATISTICS_KEPT, limit - deleted, timeout);
        }
        return deleted;
    }
}
