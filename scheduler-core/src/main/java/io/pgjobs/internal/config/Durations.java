package io.pgjobs.internal.config;

import java.time.Duration;
import java.util.Objects;

/** The range check of every duration setting, with the message that names the setting. */
final class Durations {
    static Duration requireBetween(String field, Duration value, Duration min, Duration max) {
        Objects.requireNonNull(value, field);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(field + ": " + value + " is out of range " + min + ".." + max);
        }
        return value;
    }

    private Durations() {}
}
