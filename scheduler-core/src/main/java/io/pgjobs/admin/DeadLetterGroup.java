package io.pgjobs.admin;

import java.time.Instant;

/**
 * Discarded jobs that failed alike: the same error class and the same message once digits, hex ids and UUIDs
 * are masked ({@code fingerprint} names the group in {@link AdminClient#actOnDeadLetters}).
 *
 * @param fingerprint the group's name
 * @param errorClass the jobs' error class
 * @param pattern their message with digits, hex ids and UUIDs masked
 * @param jobs how many discarded jobs it holds
 * @param latestJobId the newest of them
 * @param lastFailedAt when the latest of them failed
 */
public record DeadLetterGroup(String fingerprint, String errorClass, String pattern, long jobs, long latestJobId,
                              Instant lastFailedAt) {}
