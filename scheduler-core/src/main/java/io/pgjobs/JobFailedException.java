package io.pgjobs;

/**
 * What {@link JobClient#awaitResult} throws when the job it waits for ended without completing: it was
 * discarded (its attempts ran out or its error was not retryable) or cancelled. {@link #error()} is the job's
 * last error, as {@link Job#lastError()} shows it.
 */
public final class JobFailedException extends RuntimeException {
    private final long jobId;
    private final JobState state;
    private final String error;

    public JobFailedException(long jobId, JobState state, String error) {
        super("job " + jobId + " was " + state.dbName() + (error == null ? "" : ": " + error));
        this.jobId = jobId;
        this.state = state;
        this.error = error;
    }

    public long jobId() {
        return jobId;
    }

    /** {@link JobState#DISCARDED} or {@link JobState#CANCELLED}. */
    public JobState state() {
        return state;
    }

    /** The job's last error (exception class and message), null if it has none (a job cancelled before it ran). */
    public String error() {
        return error;
    }
}
