package io.pgjobs.admin;

import java.time.Instant;

/**
 * Discarded jobs that failed alike: the same error class and the same message once digits, hex ids and UUIDs
 * are masked ({@code fingerprint} names the group in {@link AdminClient#actOnDeadLetters}).
 */
public record DeadLetterGroup(String fingerprint, String errorClass, String pattern, long jobs, long latestJobId,
                              Instant lastFailedAt) {}
