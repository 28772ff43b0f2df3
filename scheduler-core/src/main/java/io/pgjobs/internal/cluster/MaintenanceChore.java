package io.pgjobs.internal.cluster;

import io.pgjobs.internal.store.MaintenanceStore;
import java.sql.SQLException;
import java.time.Duration;

/**
 * The one template of every chore that works through a backlog (rescue, retention, dead-node cleanup): a
 * {@link LeaderChore} whose every round runs one capped batch under a per-query timeout. A full batch means
 * more is waiting, so the next comes after a short pause; a partial one means the work is done until the next
 * interval. A batch cancelled by the timeout is retried at half the size (down to {@value #MIN_BATCH}); full
 * batches grow it back. A chore whose work keeps coming due (retention) may pause less between full batches
 * ({@link #afterFullBatch}) and come back sooner after a partial batch that did some ({@link #afterPartialBatch}).
 */
abstract class MaintenanceChore extends LeaderChore {
    static final int MIN_BATCH = 10;
    static final Duration BATCH_PAUSE = Duration.ofMillis(50);

    private final String workDone;
    private final int maxBatch;
    private final Duration queryTimeout;
    private volatile int batchSize;

    /** {@code workDone} names what a batch's count counts, for the log ("jobs rescued", ...). */
    MaintenanceChore(String name, String workDone, LeaderElector leader, Duration interval, int maxBatch,
                     Duration queryTimeout) {
        super(name, leader, interval);
        this.workDone = workDone;
        this.maxBatch = maxBatch;
        this.queryTimeout = queryTimeout;
        this.batchSize = maxBatch;
    }

    /** Does up to {@code limit} units of work, each query limited to {@code timeout}; returns how many it did. */
    protected abstract int runBatch(int limit, Duration timeout) throws SQLException;

    @Override
    protected final Duration runAsLeader() throws SQLException {
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
            return afterPartialBatch(done);
        }
        batchSize = Math.min(maxBatch, batchSize * 2);
        return afterFullBatch();
    }

    /** How long to wait after a full batch, with more work waiting: {@link #BATCH_PAUSE}. */
    protected Duration afterFullBatch() {
        return BATCH_PAUSE;
    }

    /** How long to wait after a batch that did {@code done} units of work, fewer than asked: the interval. */
    protected Duration afterPartialBatch(int done) {
        return interval();
    }

    /** The current batch size (it shrinks after timeouts). */
    final int batchSize() {
        return batchSize;
    }
}
