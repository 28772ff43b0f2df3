package io.pgjobs.internal.runtime;

import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.runtime.HeldJobs.HeldAttempt;
import io.pgjobs.internal.runtime.JobExecution.StopReason;
import io.pgjobs.internal.store.ExecutionStore;
import io.pgjobs.internal.store.ExecutionStore.LeaseStatus;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Renews the leases of every job this node holds (but those being completed: see {@link HeldJobs}), three times
 * per lease duration, in one statement. The answer
 * also carries cancel requests (a fallback for a lost notification); an attempt missing from it was taken from
 * this node (rescued after a freeze, say), and its handler is told to stop.
 *
 * <p>Lost leases are told apart by job and attempt, not by job alone. The attempts to renew are read before the
 * renewal runs, and an attempt that ended meanwhile leaves its job between attempts (retryable, or available),
 * missing from the answer; by the time the answer is read, this node may have claimed the job's next attempt and
 * started it. That attempt is this node's, and only the attempt that was asked about is stopped.
 */
final class LeaseKeeper extends BackgroundLoop {
    private final ExecutionStore store;
    private final String nodeId;
    private final Duration lease;
    private final HeldJobs held;
    private final Workers workers;

    LeaseKeeper(ExecutionStore store, String nodeId, Duration lease, HeldJobs held, Workers workers) {
        super("pgjobs-lease-keeper");
        this.store = store;
        this.nodeId = nodeId;
        this.lease = lease;
        this.held = held;
        this.workers = workers;
    }

    @Override
    protected Duration runOnce() throws Exception {
        Duration every = lease.dividedBy(3);
        List<HeldAttempt> toRenew = held.attemptsToRenew();
        if (toRenew.isEmpty()) {
            return every;
        }
        List<Long> jobIds = toRenew.stream().map(HeldAttempt::jobId).distinct().toList();
        List<LeaseStatus> renewed = store.renewLeases(jobIds, nodeId, lease.toMillis());
        Set<HeldAttempt> stillOurs = new HashSet<>();
        for (LeaseStatus status : renewed) {
            stillOurs.add(new HeldAttempt(status.jobId(), status.attempt()));
            if (status.cancelRequested()) {
                workers.stop(status.jobId(), status.attempt(), StopReason.CANCELLED);
            }
        }
        for (HeldAttempt attempt : toRenew) {
            if (!stillOurs.contains(attempt) && workers.isExecuting(attempt.jobId(), attempt.attempt())) {
                log.warn("job {} (attempt {}) is no longer held by this node (its lease was lost); telling its "
                        + "handler to stop", attempt.jobId(), attempt.attempt());
                workers.stop(attempt.jobId(), attempt.attempt(), StopReason.LEASE_LOST);
            }
        }
        return every;
    }
}
