package io.pgjobs;

import io.pgjobs.internal.values.PgValues;
import java.time.Duration;

/**
 * Thrown by a handler to run the job again after {@code delay} (at most {@link JobRequest#MAX_DELAY}) without
 * spending an attempt (the job's attempt budget grows by one). The attempt is recorded with the outcome
 * {@code snoozed}.
 */
public final class SnoozeException extends RuntimeException {
    private final Duration delay;

    public SnoozeException(Duration delay) {
        super("snoozed for " + delay, null, false, false);
        if (delay == null) {
            throw new IllegalArgumentException("delay: must not be null");
        }
        this.delay = PgValues.delay("delay", delay);
    }

    public Duration delay() {
        return delay;
    }
}
