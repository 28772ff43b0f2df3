package io.pgjobs.internal.runtime;

import io.pgjobs.internal.store.ClaimedJob;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The attempts this node holds, from claim until their completion is written; the lease keeper renews their
 * leases. Keyed by job and attempt: a job retried at once may be claimed again by this node before the
 * completion of its previous attempt is written, and both attempts are held until then.
 */
final class HeldJobs {
    private record HeldAttempt(long jobId, int attempt) {}

    private final Set<HeldAttempt> held = ConcurrentHashMap.newKeySet();

    void hold(ClaimedJob job) {
        held.add(new HeldAttempt(job.id(), job.attempt()));
    }

    /** Whether the attempt was held (it is no longer). */
    boolean release(long jobId, int attempt) {
        return held.remove(new HeldAttempt(jobId, attempt));
    }

    List<Long> jobIds() {
        return held.stream().map(HeldAttempt::jobId).distinct().toList();
    }
}
