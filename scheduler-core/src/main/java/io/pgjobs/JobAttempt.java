package io.pgjobs;

import java.time.Duration;
import java.time.Instant;

/** One execution attempt of a job, as kept in the attempts history. */
public record JobAttempt(
        long jobId,
        int attempt,
        String nodeId,
        Instant startedAt,
        Instant finishedAt,
        Outcome outcome,
        String errorClass,
        String message,
        String stackTrace) {

    public enum Outcome { COMPLETED, FAILED, TIMEOUT, SNOOZED, CANCELLED, INTERRUPTED, LOST }

    public Duration duration() {
        return Duration.between(startedAt, finishedAt);
    }
}
