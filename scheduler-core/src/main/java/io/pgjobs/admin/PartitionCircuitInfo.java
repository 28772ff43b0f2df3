package io.pgjobs.admin;

import java.time.Instant;

/**
 * One partition's circuit of a kind whose breaker has a circuit per partition
 * ({@link io.pgjobs.CircuitBreaker#perPartition}), as the database holds it; the states and counts mean what those
 * of {@link CircuitInfo} mean, for the partition's jobs alone.
 *
 * @param kind the job kind
 * @param partition the partition ("" for the kind's jobs without a key)
 * @param state {@code closed}, {@code open} or {@code half_open}
 * @param consecutiveFailures failed attempts in a row
 * @param windowStartedAt when the current window started
 * @param windowSuccesses successful attempts in the current window
 * @param windowFailures failed attempts in the current window
 * @param openedAt when it last opened; null if never
 * @param retryAt when an open circuit lets a probe through; null unless open
 * @param probeJobId the probe job's id; null unless half-open
 * @param reason why it last opened or closed; null if never
 * @param updatedAt when its row last changed
 */
public record PartitionCircuitInfo(String kind, String partition, String state, int consecutiveFailures,
                                   Instant windowStartedAt, int windowSuccesses, int windowFailures,
                                   Instant openedAt, Instant retryAt, Long probeJobId, String reason,
                                   Instant updatedAt) {}
