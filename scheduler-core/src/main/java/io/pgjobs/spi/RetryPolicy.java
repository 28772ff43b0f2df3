package io.pgjobs.spi;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/** How long a failed job waits before its next attempt. */
@FunctionalInterface
public interface RetryPolicy {

    /**
     * The delay before attempt {@code failedAttempt + 1}, after attempt {@code failedAttempt} (1-based) failed.
     *
     * @param failedAttempt the number of the attempt that failed, from 1
     * @return the delay
     */
    Duration delayAfter(int failedAttempt);

    /**
     * Exponential backoff with full jitter: a uniformly random delay between zero and
     * {@code min(cap, base * 2^(failedAttempt-1))}. Jitter spreads retries of jobs that failed together.
     *
     * @param base the first delay's ceiling
     * @param cap the largest ceiling
     * @return the policy
     */
    static RetryPolicy exponential(Duration base, Duration cap) {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(cap, "cap");
        if (base.isNegative() || base.isZero()) {
            throw new IllegalArgumentException("base: must be positive, was " + base);
        }
        if (cap.compareTo(base) < 0) {
            throw new IllegalArgumentException("cap: must be at least base (" + base + "), was " + cap);
        }
        long baseMs = base.toMillis();
        long capMs = cap.toMillis();
        return failedAttempt -> {
            int doublings = Math.min(Math.max(failedAttempt - 1, 0), 62);
            long ceiling = baseMs <= (capMs >> doublings) ? baseMs << doublings : capMs;
            return Duration.ofMillis(ThreadLocalRandom.current().nextLong(ceiling + 1));
        };
    }

    /** {@return the default: full jitter over 1 s, 2 s, 4 s... capped at one hour} */
    static RetryPolicy defaultPolicy() {
        return exponential(Duration.ofSeconds(1), Duration.ofHours(1));
    }
}
