package io.pgjobs;

import java.time.Duration;
import java.util.Objects;

/**
 * Thrown by a handler to run the job again after {@code delay} without spending an attempt (the job's
 * attempt budget grows by one). The attempt is recorded with the outcome {@code snoozed}.
 */
public final class SnoozeException extends RuntimeException {
    private final Duration delay;

    public SnoozeException(Duration delay) {
        super("snoozed for " + delay, null, false, false);
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("snooze delay must not be negative: " + delay);
        }
        this.delay = delay;
    }

    public Duration delay() {
        return delay;
    }
}
