package io.pgjobs.internal.cluster;

import io.pgjobs.internal.store.MaintenanceStore;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Vacuums the jobs table when claims and completions have left many dead row versions behind. Every claim walks
 * the runnable-jobs index from its start, and the entries of jobs claimed since the last vacuum lie exactly
 * there: dead, skipped one by one, never reused (new jobs are inserted at the other end), and only vacuum removes
 * them. Autovacuum visits a database at most once a minute and waits for a fifth of the table to be dead, so on a
 * busy queue the claim walks hundreds of thousands of dead entries (docs/performance.md, "Vacuum"). Leader-only, one table, never more often than every {@link #INTERVAL}, once
 * at least {@link #DEAD_ROWS} dead row versions have piled up, or {@link #DEAD_SHARE} of the table's live rows
 * if that is more: a vacuum reads every index of the table in full, so on a big table it costs more and waits
 * for more (docs/cluster.md).
 *
 * <p>A database role that may not vacuum the table (it does not own it) gets one warning and the chore stops;
 * autovacuum still runs.
 */
final class JobsVacuum extends LeaderChore {
    static final Duration INTERVAL = Duration.ofSeconds(2);
    /** About 25,000 jobs claimed and finished (two dead row versions each). */
    static final long DEAD_ROWS = 50_000;
    static final double DEAD_SHARE = 0.05;

    private final MaintenanceStore store;
    private final long deadRows;
    private volatile boolean refused;

    JobsVacuum(MaintenanceStore store, LeaderElector leader, long deadRows) {
        super("pgjobs-vacuum", leader, INTERVAL);
        this.store = store;
        this.deadRows = deadRows;
    }

    @Override
    protected Duration runAsLeader() throws SQLException {
        if (refused) {
            return INTERVAL;
        }
        MaintenanceStore.RowCounts rows = store.jobRowCounts();
        if (rows.dead() < Math.max(deadRows, (long) (rows.live() * DEAD_SHARE))) {
            return INTERVAL;
        }
        String refusal = store.vacuumJobs();
        if (refusal != null) {
            refused = true;
            log.warn("pgjobs cannot vacuum its jobs table ({}); claims get slower as dead index entries pile up "
                    + "between autovacuum runs. Run pgjobs as the table's owner to let it vacuum.", refusal);
        }
        return INTERVAL;
    }

    /** Whether the database refused to let this role vacuum the table (the chore then does nothing). */
    boolean refused() {
        return refused;
    }
}
