package io.pgjobs;

import io.pgjobs.spi.RetryPolicy;
import java.time.Duration;

/**
 * Runs jobs of one kind. Register it with {@link Scheduler.Builder#handler(Class, JobHandler)}.
 *
 * <p>Return normally to complete the job; the returned value (if not null) is stored as its JSON result.
 * Throw to fail the attempt: it is retried with this handler's {@link #retryPolicy()} until the job's attempts
 * run out, then discarded (the dead-letter state). Throw {@link NonRetryableException} (or any type
 * {@link #isRetryable} rejects) to discard at once, and {@link SnoozeException} to run again later without
 * spending an attempt.
 *
 * <p>Handlers run at least once per job: after a crash a job may run again, so make side effects idempotent.
 *
 * @param <A> the type of the jobs' args
 */
@FunctionalInterface
public interface JobHandler<A> {

    /**
     * Runs one attempt of a job.
     *
     * @param context the job, its args and what the handler may do while it runs (checkpoints, progress)
     * @return the job's result, stored as JSON; null for none
     * @throws Exception to fail the attempt (see the type's description for what follows)
     */
    Object handle(JobContext<A> context) throws Exception;

    /** {@return the longest one attempt may run before it is interrupted and failed as a timeout; null for none} */
    default Duration timeout() {
        return null;
    }

    /** {@return how long to wait before the next attempt; null for the scheduler's default policy} */
    default RetryPolicy retryPolicy() {
        return null;
    }

    /**
     * Whether a failure with {@code error} is worth another attempt.
     *
     * @param error what the attempt threw
     * @return true to retry (while attempts remain), false to discard the job at once
     */
    default boolean isRetryable(Throwable error) {
        return !(error instanceof NonRetryableException);
    }
}
