package io.pgjobs;

/**
 * What {@link JobClient#awaitResult} throws when the job it waits for ended without completing: it was
 * discarded (its attempts ran out or its error was not retryable) or cancelled. {@link #error()} is the job's
 * last error, as {@link Job#lastError()} shows it.
 */
public final class JobFailedException extends RuntimeException {
    /** The job's id. */
    private final long jobId;
    /** How it ended. */
    private final JobState state;
    /** Its last error; null if none. */
    private final String error;

    /**
     * The failure of one job.
     *
     * @param jobId the job's id
     * @param state how it ended: {@link JobState#DISCARDED} or {@link JobState#CANCELLED}
     * @param error its last error; null if none
     */
    public JobFailedException(long jobId, JobState state, String error) {
        super("job " + jobId + " was " + state.dbName() + (error == null ? "" : ": " + error));
        this.jobId = jobId;
        this.state = state;
        this.error = error;
    }

    /** {@return the job's id} */
    public long jobId() {
        return jobId;
    }

    /** {@return how the job ended: {@link JobState#DISCARDED} or {@link JobState#CANCELLED}} */
    public JobState state() {
        return state;
    }

    /** {@return the job's last error (exception class and message), null if it has none (a job cancelled before it ran)} */
    public String error() {
        return error;
    }
}
