package io.pgjobs;

import java.time.Duration;
import java.util.Objects;

/**
 * When a kind's circuit opens (see {@link Scheduler.Builder#circuitBreaker}): after {@code consecutiveFailures}
 * failed attempts in a row, or once at least {@code minAttempts} attempts in the current {@code window} failed at
 * a {@code failureRate} or more (either test may be left out: null). An open circuit keeps the kind's jobs from
 * being claimed, cluster-wide, for {@code coolDown}; then one probe job runs, and its outcome closes the circuit
 * or opens it for another cool-down. With {@link #perPartition} each partition of the kind (a customer, a tenant)
 * has a circuit of its own: one partition's failures hold back only that partition's jobs. Immutable; each method
 * validates its values and returns a new setting.
 *
 * <pre>{@code
 * CircuitBreaker.afterConsecutiveFailures(5).coolDown(Duration.ofSeconds(30));
 * CircuitBreaker.afterFailureRate(0.5, 20, Duration.ofMinutes(1));
 * CircuitBreaker.afterConsecutiveFailures(5).perPartition(PartitionKey.args("tenant"));
 * }</pre>
 *
 * @param consecutiveFailures failed attempts in a row that open the circuit, 1 to 1,000,000; null for no such test
 * @param failureRate the share of failed attempts in a window that opens it, above 0 and at most 1; null for no
 *        such test
 * @param minAttempts the fewest attempts in a window before its failure rate counts, 1 to 1,000,000 (ignored
 *        without a failure rate)
 * @param window the length of the fixed window the failure rate is measured over, 1 s to 1 day (ignored without a
 *        failure rate)
 * @param coolDown how long an open circuit keeps the kind's jobs waiting before a probe, 100 ms to 1 day
 * @param partitionKey what partitions the kind, each with a circuit of its own; null for one circuit for the kind
 */
public record CircuitBreaker(Integer consecutiveFailures, Double failureRate, int minAttempts, Duration window,
                             Duration coolDown, PartitionKey partitionKey) {
    /** The cool-down of the settings {@link #afterConsecutiveFailures} and {@link #afterFailureRate} make. */
    public static final Duration DEFAULT_COOL_DOWN = Duration.ofSeconds(30);

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException naming the value that is missing or out of range
     */
    public CircuitBreaker {
        if (consecutiveFailures == null && failureRate == null) {
            throw new IllegalArgumentException("circuitBreaker: needs consecutiveFailures or a failureRate");
        }
        if (consecutiveFailures != null && (consecutiveFailures < 1 || consecutiveFailures > 1_000_000)) {
            throw new IllegalArgumentException("circuitBreaker: consecutiveFailures " + consecutiveFailures
                    + " is out of range 1..1000000");
        }
        if (failureRate != null) {
            if (!(failureRate > 0 && failureRate <= 1)) {
                throw new IllegalArgumentException("circuitBreaker: failureRate " + failureRate
                        + " is out of range (0, 1]");
            }
            if (minAttempts < 1 || minAttempts > 1_000_000) {
                throw new IllegalArgumentException("circuitBreaker: minAttempts " + minAttempts
                        + " is out of range 1..1000000");
            }
            requireBetween("window", window, Duration.ofSeconds(1), Duration.ofDays(1));
        }
        requireBetween("coolDown", coolDown, Duration.ofMillis(100), Duration.ofDays(1));
    }

    /**
     * Opens after {@code failures} failed attempts in a row; cool-down {@link #DEFAULT_COOL_DOWN}.
     *
     * @param failures failed attempts in a row, 1 to 1,000,000
     * @return the setting
     */
    public static CircuitBreaker afterConsecutiveFailures(int failures) {
        return new CircuitBreaker(failures, null, 0, null, DEFAULT_COOL_DOWN, null);
    }

    /**
     * Opens once at least {@code minAttempts} attempts in the current window of length {@code window} ended and
     * at least {@code rate} of them failed; cool-down {@link #DEFAULT_COOL_DOWN}. The window is fixed: it starts
     * with the first attempt after the previous one ended.
     *
     * @param rate the share of failed attempts, above 0 and at most 1
     * @param minAttempts the fewest attempts in a window before its rate counts, 1 to 1,000,000
     * @param window the window's length, 1 s to 1 day
     * @return the setting
     */
    public static CircuitBreaker afterFailureRate(double rate, int minAttempts, Duration window) {
        return new CircuitBreaker(null, rate, minAttempts, window, DEFAULT_COOL_DOWN, null);
    }

    /**
     * Also opens after {@code failures} failed attempts in a row.
     *
     * @param failures failed attempts in a row, 1 to 1,000,000
     * @return a copy of this setting with that test
     */
    public CircuitBreaker orConsecutiveFailures(int failures) {
        return new CircuitBreaker(failures, failureRate, minAttempts, window, coolDown, partitionKey);
    }

    /**
     * How long an opened circuit keeps its kind's jobs waiting before a probe.
     *
     * @param coolDown the cool-down, 100 ms to 1 day
     * @return a copy of this setting with that cool-down
     */
    public CircuitBreaker coolDown(Duration coolDown) {
        return new CircuitBreaker(consecutiveFailures, failureRate, minAttempts, window, coolDown, partitionKey);
    }

    /**
     * A circuit of its own for each partition of the kind, found by {@code key} as for flow control's limits
     * (a request's {@link JobRequest#partitionKey} first, else the value at the key's path): the failures of one
     * partition's jobs open only that partition's circuit, and its jobs wait while the kind's other partitions
     * keep running. The kind's jobs are then claimed by the flow-controlled claim, which asks each job's circuit.
     *
     * @param key what partitions the kind
     * @return a copy of this setting with a circuit per partition
     * @throws IllegalArgumentException if {@code key} is null
     */
    public CircuitBreaker perPartition(PartitionKey key) {
        if (key == null) {
            throw new IllegalArgumentException("circuitBreaker: perPartition needs a partitionKey, was null");
        }
        return new CircuitBreaker(consecutiveFailures, failureRate, minAttempts, window, coolDown, key);
    }

    private static void requireBetween(String field, Duration value, Duration min, Duration max) {
        Objects.requireNonNull(value, "circuitBreaker: " + field);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException("circuitBreaker: " + field + " " + value + " is out of range "
                    + min + ".." + max);
        }
    }
}
