package io.pgjobs;

import java.time.Duration;
import java.time.Instant;

/**
 * One execution attempt of a job, as kept in the attempts history.
 *
 * @param jobId the job's id
 * @param attempt the attempt's number, from 1
 * @param nodeId the node that ran it
 * @param startedAt when it started
 * @param finishedAt when it ended
 * @param outcome how it ended
 * @param errorClass the class name of its failure's exception; null unless it failed
 * @param message its failure's message; null unless it failed
 * @param stackTrace its failure's stack trace; null unless it failed
 */
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

    /** How an attempt ended. */
    public enum Outcome {
        /** Its handler returned. */
        COMPLETED,
        /** Its handler threw (or the args did not deserialize). */
        FAILED,
        /** It ran past its handler's timeout. */
        TIMEOUT,
        /** Its handler asked to run again later ({@link SnoozeException}). */
        SNOOZED,
        /** It stopped on a cancel request. */
        CANCELLED,
        /** Its node shut down past its deadline and put the job back, without spending the attempt. */
        INTERRUPTED,
        /** Its node stopped renewing the lease (it crashed or froze) and the job was rescued. */
        LOST
    }

    /** {@return how long it ran} */
    public Duration duration() {
        return Duration.between(startedAt, finishedAt);
    }
}
