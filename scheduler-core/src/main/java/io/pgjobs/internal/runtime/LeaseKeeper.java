package io.pgjobs.internal.runtime;

import io.pgjobs.internal.loop.BackgroundLoop;
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
 * also carries cancel requests (a fallback for a lost notification); a job missing from it was taken from this
 * node (rescued after a freeze, say), and its handler is told to stop.
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
        List<Long> heldIds = held.jobIdsToRenew();
        if (heldIds.isEmpty()) {
            return every;
        }
        List<LeaseStatus> renewed = store.renewLeases(heldIds, nodeId, lease.toMillis());
        Set<Long> stillOurs = new HashSet<>();
        for (LeaseStatus status : renewed) {
            stillOurs.add(status.jobId());
            if (status.cancelRequested()) {
                workers.stop(status.jobId(), StopReason.CANCELLED);
            }
        }
        for (Long id : heldIds) {
            if (!stillOurs.contains(id) && workers.isExecuting(id)) {
                log.warn("job {} is no longer held by this node (its lease was lost); telling its handler to stop", id);
                workers.stop(id, StopReason.LEASE_LOST);
            }
        }
        return every;
    }
}
