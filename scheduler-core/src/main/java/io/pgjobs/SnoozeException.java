package io.pgjobs;

import io.pgjobs.internal.values.PgValues;
import java.time.Duration;

/**
 * Thrown by a handler to run the job again after {@code delay} (at most {@link JobRequest#MAX_DELAY}) without
 * spending an attempt (the job's attempt budget grows by one). The attempt is recorded with the outcome
 * {@code snoozed}.
 */
public final class SnoozeException extends RuntimeException {
    /** How long until the job runs again. */
    private final Duration delay;

    /**
     * A snooze.
     *
     * @param delay how long until the job runs again, positive and at most {@link JobRequest#MAX_DELAY}
     */
    public SnoozeException(Duration delay) {
        super("snoozed for " + delay, null, false, false);
        if (delay == null) {
            throw new IllegalArgumentException("delay: must not be null");
        }
        this.delay = PgValues.delay("delay", delay);
    }

    /** {@return how long until the job runs again} */
    public Duration delay() {
        return delay;
    }
}
