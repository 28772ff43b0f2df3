package io.pgjobs.internal.cluster;

import io.pgjobs.internal.runtime.BackgroundLoop;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one template of every maintenance chore. A chore does nothing unless this node leads. Its first round
 * waits a random delay (so a new leader's chores do not all hit the database at once), then each round runs one
 * capped batch under a per-query timeout: a full batch means more is waiting, so the next comes after a short
 * pause; a partial one means the work is done until the next interval. A batch cancelled by the timeout is
 * retried at half the size (down to {@value #MIN_BATCH}); full batches grow it back. Errors are the
 * {@link BackgroundLoop}'s: logged, then retried with a growing pause.
 */
abstract class MaintenanceChore extends BackgroundLoop {
    static final int MIN_BATCH = 10;
    static final Duration BATCH_PAUSE = Duration.ofMillis(50);
    private static final long MAX_FIRST_DELAY_MS = 1_000;

    private final String workDone;
    private final LeaderElector leader;
    private final Duration interval;
    private final int maxBatch;
    private final Duration queryTimeout;
    private volatile int batchSize;
    private boolean started;

    /** {@code workDone} names what a batch's count counts, for the log ("jobs rescued", ...). */
    MaintenanceChore(String name, String workDone, LeaderElector leader, Duration interval, int maxBatch,
                     Duration queryTimeout) {
        super(name);
        this.workDone = workDone;
        this.leader = leader;
        this.interval = interval;
        this.maxBatch = maxBatch;
        this.queryTimeout = queryTimeout;
        this.batchSize = maxBatch;
    }

    /** Does up to {@code limit} units of work, each query limited to {@code timeout}; returns how many it did. */
    protected abstract int runBatch(int limit, Duration timeout) throws SQLException;

    @Override
    protected final Duration runOnce() throws SQLException {
        if (!started) {
            started = true;
            return Duration.ofMillis(ThreadLocalRandom.current().nextLong(1 + Math.min(interval.toMillis(), MAX_FIRST_DELAY_MS)));
        }
        if (!leader.isLeader()) {
            return interval;
        }
        int done;
        try {
            done = runBatch(batchSize, queryTimeout);
        } catch (SQLException e) {
            if (!MaintenanceStore.QUERY_CANCELED.equals(e.getSQLState()) || batchSize == MIN_BATCH) {
                throw e;
            }
            batchSize = Math.max(MIN_BATCH, batchSize / 2);
            log.warn("{}: a batch ran past {}; trying again with batches of {}", name(), queryTimeout, batchSize);
            return BATCH_PAUSE;
        }
        if (done > 0) {
            log.info("{}: {} {}", name(), done, workDone);
        }
        if (done < batchSize) {
            return interval;
        }
        batchSize = Math.min(maxBatch, batchSize * 2);
        return BATCH_PAUSE;
    }

    /** The current batch size (it shrinks after timeouts). */
    final int batchSize() {
        return batchSize;
    }
}
