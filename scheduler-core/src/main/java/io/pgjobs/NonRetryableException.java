package io.pgjobs;

/**
 * Thrown by a handler (or used as a cause) for a failure that no retry can fix: the job is discarded at once,
 * with the error kept. Handlers may mark other exception types as non-retryable with
 * {@link JobHandler#isRetryable(Throwable)}.
 */
public class NonRetryableException extends RuntimeException {
    /**
     * A failure without a cause.
     *
     * @param message what went wrong
     */
    public NonRetryableException(String message) {
        super(message);
    }

    /**
     * A failure with its cause.
     *
     * @param message what went wrong
     * @param cause what failed
     */
    public NonRetryableException(String message, Throwable cause) {
        super(message, cause);
    }
}
