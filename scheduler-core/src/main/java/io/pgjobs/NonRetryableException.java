package io.pgjobs;

/**
 * Thrown by a handler (or used as a cause) for a failure that no retry can fix: the job is discarded at once,
 * with the error kept. Handlers may mark other exception types as non-retryable with
 * {@link JobHandler#isRetryable(Throwable)}.
 */
public class NonRetryableException extends RuntimeException {
    public NonRetryableException(String message) {
        super(message);
    }

    public NonRetryableException(String message, Throwable cause) {
        super(message, cause);
    }
}
