package io.pgjobs.admin;

import java.time.Instant;

/**
 * A kind's circuit breaker as the database holds it: {@code closed} (counting: consecutive failures and the
 * current window's attempts), {@code open} (its jobs are not claimed until {@code retryAt}) or {@code half_open}
 * (one probe job, {@code probeJobId}, is running). {@code reason} says why it last opened or closed.
 */
public record CircuitInfo(String kind, String state, int consecutiveFailures, Instant windowStartedAt,
                          int windowSuccesses, int windowFailures, Instant openedAt, Instant retryAt,
                          Long probeJobId, String reason, Instant updatedAt) {}
