package io.pgjobs.internal.store;

import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.JobState;

/**
 * The end of one attempt, as the runtime decided it: the state to move the job to ({@code delayMs} from now
 * for retryable, scheduled and available), how the attempt ended, and how many attempts to give back
 * ({@code attemptsBack}: 1 when the attempt should not count, as for a snooze or a shutdown). Built by the
 * factories, one per way an attempt can end, when it ended: {@code endedAfterMs} is how long after the claim
 * was sent that was (measured on the node; see {@link ClaimedJob}), so that the attempt's end is written as the
 * claim's database time plus that, however late the completion is written.
 */
public record Completion(long jobId, int attempt, JobState state, Outcome outcome, long delayMs, int attemptsBack,
                         String resultJson, String errorClass, String message, String stackTrace,
                         long endedAfterMs) {

    /** What went wrong in a failed attempt, as stored in its attempt row. */
    public record Failure(String errorClass, String message, String stackTrace) {}

    /** The handler returned; {@code resultJson} may be null. */
    public static Completion succeeded(ClaimedJob job, String resultJson) {
        return new Completion(job.id(), job.attempt(), JobState.COMPLETED, Outcome.COMPLETED, 0, 0, resultJson,
                null, null, null, sinceClaimMs(job));
    }

    /** The handler asked to run again after {@code delayMs}, without spending an attempt. */
    public static Completion snoozed(ClaimedJob job, long delayMs) {
        return new Completion(job.id(), job.attempt(), JobState.SCHEDULED, Outcome.SNOOZED, delayMs, 1, null, null,
                null, null, sinceClaimMs(job));
    }

    /** The attempt failed ({@code outcome} failed or timeout) and the job runs again after {@code delayMs}. */
    public static Completion retry(ClaimedJob job, Outcome outcome, long delayMs, Failure failure) {
        return failed(job, JobState.RETRYABLE, outcome, delayMs, failure);
    }

    /** The attempt failed ({@code outcome} failed or timeout) and the job will not run again. */
    public static Completion discarded(ClaimedJob job, Outcome outcome, Failure failure) {
        return failed(job, JobState.DISCARDED, outcome, 0, failure);
    }

    /** The handler stopped on a cancel request. */
    public static Completion cancelled(ClaimedJob job, Failure failure) {
        return failed(job, JobState.CANCELLED, Outcome.CANCELLED, 0, failure);
    }

    /** The node is shutting down: the job is put back, available at once, without spending an attempt. */
    public static Completion putBack(ClaimedJob job, String message) {
        return new Completion(job.id(), job.attempt(), JobState.AVAILABLE, Outcome.INTERRUPTED, 0, 1, null,
                InterruptedException.class.getName(), "scheduler shutting down: " + message, null, sinceClaimMs(job));
    }

    private static Completion failed(ClaimedJob job, JobState state, Outcome outcome, long delayMs, Failure failure) {
        return new Completion(job.id(), job.attempt(), state, outcome, delayMs, 0, null, failure.errorClass(),
                failure.message(), failure.stackTrace(), sinceClaimMs(job));
    }

    private static long sinceClaimMs(ClaimedJob job) {
        return (System.nanoTime() - job.claimSentNanos()) / 1_000_000;
    }
}
