package io.pgjobs;

/** A failure of pgjobs itself, most often the database being unreachable; the cause says more. */
public class PgJobsException extends RuntimeException {
    public PgJobsException(String message, Throwable cause) {
        super(message, cause);
    }

    public PgJobsException(String message) {
        super(message);
    }
}
