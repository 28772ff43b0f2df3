package io.pgjobs;

/** A failure of pgjobs itself, most often the database being unreachable; the cause says more. */
public class PgJobsException extends RuntimeException {
    /**
     * A failure with its cause.
     *
     * @param message what pgjobs was doing
     * @param cause what failed
     */
    public PgJobsException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * A failure without a cause.
     *
     * @param message what went wrong
     */
    public PgJobsException(String message) {
        super(message);
    }
}
