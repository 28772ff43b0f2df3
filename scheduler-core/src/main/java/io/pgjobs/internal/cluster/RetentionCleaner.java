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
 *
 * <p>Jobs finish all the time on a busy cluster, so their retention passes all the time too: a round that found
 * some comes back after {@link #FOLLOW_UP}, not after the interval, so that the table holds about the retention's
 * worth of finished jobs instead of up to an interval more (a minute's worth, at the rate jobs finish); only a
 * round that found nothing waits the interval. Between full batches it pauses {@link #FULL_BATCH_PAUSE}: after the
 * other chores' pause of {@link MaintenanceChore#BATCH_PAUSE} it could never delete more than a batch per pause, fewer
 * jobs a second than one node completes, and the table then grew for as long as the load lasted. The batches stay at
 * {@value #MAX_BATCH}: at 5,000 the server joined them to the jobs and attempts tables by hashing the whole of both
 * (docs/performance.md).
 */
final class RetentionCleaner extends MaintenanceChore {
    private static final List<String> SUCCEEDED = List.of(JobState.COMPLETED.dbName());
    private static final List<String> FAILED = List.of(JobState.CANCELLED.dbName(), JobState.DISCARDED.dbName());

    static final Duration STATISTICS_KEPT = Duration.ofDays(8);
    static final Duration FOLLOW_UP = Duration.ofSeconds(5);
    static final Duration FULL_BATCH_PAUSE = Duration.ofMillis(10);
    static final int MAX_BATCH = 1_000;

    private final MaintenanceStore store;
    private final Duration completedRetention;
    private final Duration failedRetention;

    RetentionCleaner(MaintenanceStore store, LeaderElector leader, Duration interval, Duration queryTimeout,
                     Duration completedRetention, Duration failedRetention) {
        super("pgjobs-retention", "finished jobs and old statistics deleted (retention passed)", leader, interval, MAX_BATCH, queryTimeout);
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

    @Override
    protected Duration afterFullBatch() {
        return FULL_BATCH_PAUSE;
    }

    @Override
    protected Duration afterPartialBatch(int done) {
        return done > 0 ? FOLLOW_UP : interval();
    }
}
