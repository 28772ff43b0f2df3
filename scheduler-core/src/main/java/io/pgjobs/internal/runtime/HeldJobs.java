package io.pgjobs.internal.runtime;

import io.pgjobs.internal.store.ClaimedJob;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The attempts this node holds, from claim until their completion is written; the lease keeper renews their
 * leases, except those of the jobs whose completion is being written at the moment. Keyed by job and attempt: a
 * job retried at once may be claimed again by this node before the completion of its previous attempt is
 * written, and both attempts are held until then.
 *
 * <p>A completion locks its jobs' rows until it commits, and a renewal waits for rows it would lock. Were the
 * lease keeper to renew the jobs being completed, one slow completion would hold up the renewal of every job
 * this node holds, running handlers included, until their leases ran out and the rescuer took them (a step of a
 * 10,000-step fan-in ran twice that way). The jobs of a completion in progress need no renewal meanwhile: the
 * rescuer skips locked rows, and a completion that fails renews their leases before it lets go of the rows
 * ({@code ExecutionStore.complete}).
 */
final class HeldJobs {
    /** One attempt of one job. */
    record HeldAttempt(long jobId, int attempt) {}

    private final Set<HeldAttempt> held = ConcurrentHashMap.newKeySet();
    private final Set<Long> completing = ConcurrentHashMap.newKeySet();

    void hold(ClaimedJob job) {
        held.add(new HeldAttempt(job.id(), job.attempt()));
    }

    /** Whether the attempt was held (it is no longer). */
    boolean release(long jobId, int attempt) {
        return held.remove(new HeldAttempt(jobId, attempt));
    }

    /** The attempts whose leases to renew: those held, less those of the jobs whose completion is being written. */
    List<HeldAttempt> attemptsToRenew() {
        return held.stream().filter(attempt -> !completing.contains(attempt.jobId())).toList();
    }

    /** The completion of {@code jobIds} is being written, until {@link #completed}: their leases are its care. */
    void completing(Collection<Long> jobIds) {
        completing.addAll(jobIds);
    }

    /** The completion of {@code jobIds} ended, written or not. */
    void completed(Collection<Long> jobIds) {
        completing.removeAll(jobIds);
    }
}
