package io.pgjobs;

import java.time.Duration;
import java.util.Objects;

/**
 * How fast a queue's jobs may start, across the whole cluster (see {@link Scheduler.Builder#rateLimit}): at most
 * {@code count} per {@code period}, spread evenly (one every {@code period / count}), with at most {@code burst}
 * starting at once after a quiet spell; for the whole queue, or for each partition when {@code partitionKey} is
 * set. Immutable; each method validates its values and returns a new setting.
 *
 * <pre>{@code
 * RateLimit.of(100, Duration.ofMinutes(1));                                // 100 a minute, one every 600 ms
 * RateLimit.of(10, Duration.ofSeconds(1)).burst(5).perPartition(PartitionKey.args("tenant"));
 * }</pre>
 *
 * @param count how many jobs may start per period, 1 to 1,000,000
 * @param period the period, 1 ms to 1 day
 * @param burst how many may start at once after a quiet spell, 1 to {@code count}
 * @param partitionKey what partitions the queue, each with a rate of its own; null for one rate for the queue
 */
public record RateLimit(int count, Duration period, int burst, PartitionKey partitionKey) {
    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException naming the value that is missing or out of range
     */
    public RateLimit {
        if (count < 1 || count > 1_000_000) {
            throw new IllegalArgumentException("rateLimit: count " + count + " is out of range 1..1000000");
        }
        Objects.requireNonNull(period, "rateLimit: period");
        if (period.compareTo(Duration.ofMillis(1)) < 0 || period.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("rateLimit: period " + period + " is out of range PT0.001S..PT24H");
        }
        if (burst < 1 || burst > count) {
            throw new IllegalArgumentException("rateLimit: burst " + burst + " is out of range 1.." + count
                    + " (the count)");
        }
    }

    /**
     * At most {@code count} starts per {@code period}, evenly spread, without bursts.
     *
     * @param count how many jobs may start per period, 1 to 1,000,000
     * @param period the period, 1 ms to 1 day
     * @return the setting
     */
    public static RateLimit of(int count, Duration period) {
        return new RateLimit(count, period, 1, null);
    }

    /**
     * Up to {@code burst} jobs may start at once after a quiet spell (still {@code count} per period on average).
     *
     * @param burst how many may start at once, 1 to the count
     * @return a copy of this setting with that burst
     */
    public RateLimit burst(int burst) {
        return new RateLimit(count, period, burst, partitionKey);
    }

    /**
     * A rate of its own for each partition of the queue, found by {@code key}.
     *
     * @param key what partitions the queue
     * @return a copy of this setting for each partition
     */
    public RateLimit perPartition(PartitionKey key) {
        return new RateLimit(count, period, burst, Objects.requireNonNull(key, "rateLimit: partitionKey"));
    }

    /** {@return the interval between two starts, in milliseconds} */
    public double intervalMillis() {
        return period.toNanos() / 1e6 / count;
    }
}
