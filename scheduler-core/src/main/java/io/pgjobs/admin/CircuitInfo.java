package io.pgjobs.admin;

import java.time.Instant;

/**
 * A kind's circuit breaker as the database holds it: {@code closed} (counting: consecutive failures and the
 * current window's attempts), {@code open} (its jobs are not claimed until {@code retryAt}) or {@code half_open}
 * (one probe job, {@code probeJobId}, is running). {@code reason} says why it last opened or closed.
 *
 * @param kind the job kind
 * @param state {@code closed}, {@code open} or {@code half_open}
 * @param consecutiveFailures failed attempts in a row
 * @param windowStartedAt when the current window started; null if none
 * @param windowSuccesses successful attempts in the current window
 * @param windowFailures failed attempts in the current window
 * @param openedAt when it last opened; null if never
 * @param retryAt when an open circuit lets a probe through; null unless open
 * @param probeJobId the running probe job's id; null unless half-open
 * @param reason why it last opened or closed; null if never
 * @param updatedAt when its row last changed
 */
public record CircuitInfo(String kind, String state, int consecutiveFailures, Instant windowStartedAt,
                          int windowSuccesses, int windowFailures, Instant openedAt, Instant retryAt,
                          Long probeJobId, String reason, Instant updatedAt) {}
