package io.pgjobs.internal.runtime;

import io.pgjobs.internal.JobStore.LeaseStatus;
import io.pgjobs.internal.runtime.JobExecution.StopReason;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Renews the leases of every job this node runs, three times per lease duration, in one statement. The answer
 * also carries cancel requests (a fallback for a lost notification); a job missing from it was taken from this
 * node (rescued after a freeze, say), and its handler is told to stop.
 */
final class LeaseKeeper extends BackgroundLoop {
    private final Runtime runtime;

    LeaseKeeper(Runtime runtime) {
        super("pgjobs-lease-keeper");
        this.runtime = runtime;
    }

    @Override
    protected Duration runOnce() throws Exception {
        Duration every = runtime.config().leaseDuration().dividedBy(3);
        List<Long> held = runtime.heldJobIds();
        if (held.isEmpty()) {
            return every;
        }
        List<LeaseStatus> renewed = runtime.store().renewLeases(held, runtime.config().nodeId(),
                runtime.config().leaseDuration().toMillis());
        Set<Long> stillOurs = new HashSet<>();
        for (LeaseStatus status : renewed) {
            stillOurs.add(status.jobId());
            if (status.cancelRequested()) {
                runtime.stopExecution(status.jobId(), StopReason.CANCELLED);
            }
        }
        for (Long id : held) {
            if (!stillOurs.contains(id) && runtime.isExecuting(id)) {
                log.warn("job {} is no longer held by this node (its lease was lost); telling its handler to stop", id);
                runtime.stopExecution(id, StopReason.LEASE_LOST);
            }
        }
        return every;
    }
}
