package io.pgjobs.admin;

import io.pgjobs.JobState;
import io.pgjobs.internal.values.ArgsPredicate;
import io.pgjobs.internal.values.Excerpt;
import io.pgjobs.internal.values.PgValues;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * Which jobs to list or act on; null (or empty) fields match everything. Time ranges include their start and
 * exclude their end. {@code args} is a predicate on the job's args, such as {@code customer_id = 42} or
 * {@code args.address.country = "PT" and plan != "free"}: dotted paths, {@code =} or {@code !=}, and a JSON
 * value (a bare word counts as a string). It becomes a bound jsonb containment test, never SQL text.
 * {@code deadLetterGroup} is a {@link DeadLetterGroup#fingerprint()}: the dead letters (discarded jobs) whose
 * error falls into that group, among all of them, not only those the grouping looked at.
 *
 * <p>Every field is checked when the filter is made, and a bad one throws {@link IllegalArgumentException}
 * naming it: text PostgreSQL cannot store (the character U+0000), an instant outside
 * {@link io.pgjobs.JobRequest#MIN_RUN_AT} to {@link io.pgjobs.JobRequest#MAX_RUN_AT}, an {@code args} predicate
 * that does not parse, is over 1000 characters or has a path deeper than 32 names.
 *
 * @param states the jobs' states; empty for any
 * @param queue their queue; null for any
 * @param kind their kind; null for any
 * @param tag a tag they carry; null for any
 * @param createdFrom created at or after; null for no bound
 * @param createdTo created before; null for no bound
 * @param finishedFrom finished at or after; null for no bound
 * @param finishedTo finished before; null for no bound
 * @param args a predicate on their args; null for any
 * @param deadLetterGroup a dead-letter group's fingerprint; null for any
 */
public record JobFilter(Set<JobState> states, String queue, String kind, String tag, Instant createdFrom,
                        Instant createdTo, Instant finishedFrom, Instant finishedTo, String args,
                        String deadLetterGroup) {

    /** Every job. */
    public static final JobFilter ALL = new JobFilter(Set.of(), null, null, null, null, null, null, null, null, null);

    /**
     * Checks every field.
     *
     * @throws IllegalArgumentException naming the field that is bad
     */
    public JobFilter {
        if (states != null && states.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("states: must not contain null");
        }
        states = states == null ? Set.of() : Set.copyOf(states);
        text("queue", queue);
        text("kind", kind);
        text("tag", tag);
        instant("createdFrom", createdFrom);
        instant("createdTo", createdTo);
        instant("finishedFrom", finishedFrom);
        instant("finishedTo", finishedTo);
        if (args != null && !args.isBlank()) {
            ArgsPredicate.parse(args.strip());
        }
        if (createdFrom != null && createdTo != null && !createdFrom.isBefore(createdTo)) {
            throw new IllegalArgumentException("createdFrom: must be before createdTo");
        }
        if (finishedFrom != null && finishedTo != null && !finishedFrom.isBefore(finishedTo)) {
            throw new IllegalArgumentException("finishedFrom: must be before finishedTo");
        }
        if (deadLetterGroup != null && deadLetterGroup.isBlank()) {
            deadLetterGroup = null;
        }
        if (deadLetterGroup != null && !deadLetterGroup.matches("[0-9a-f]{32}")) {
            throw new IllegalArgumentException("deadLetterGroup: must be a dead-letter group's fingerprint"
                    + " (32 hex digits), got '" + Excerpt.of(deadLetterGroup) + "'");
        }
        if (deadLetterGroup != null && !states.isEmpty() && !states.contains(JobState.DISCARDED)) {
            throw new IllegalArgumentException("deadLetterGroup: dead letters are discarded jobs, but the state"
                    + " filter leaves discarded out");
        }
    }

    /**
     * A filter without a dead-letter group.
     *
     * @param states the jobs' states; empty for any
     * @param queue their queue; null for any
     * @param kind their kind; null for any
     * @param tag a tag they carry; null for any
     * @param createdFrom created at or after; null for no bound
     * @param createdTo created before; null for no bound
     * @param finishedFrom finished at or after; null for no bound
     * @param finishedTo finished before; null for no bound
     * @param args a predicate on their args; null for any
     */
    public JobFilter(Set<JobState> states, String queue, String kind, String tag, Instant createdFrom,
                     Instant createdTo, Instant finishedFrom, Instant finishedTo, String args) {
        this(states, queue, kind, tag, createdFrom, createdTo, finishedFrom, finishedTo, args, null);
    }

    private static void text(String field, String value) {
        if (value != null) {
            PgValues.text(field, value);
        }
    }

    private static void instant(String field, Instant value) {
        if (value != null) {
            PgValues.instant(field, value);
        }
    }

    /**
     * The jobs in any of {@code states}.
     *
     * @param states the states
     * @return the filter
     */
    public static JobFilter ofStates(JobState... states) {
        return new JobFilter(Set.of(states), null, null, null, null, null, null, null, null, null);
    }

    /**
     * The dead letters of one group (see {@link AdminClient#deadLetters()}).
     *
     * @param fingerprint the group's {@link DeadLetterGroup#fingerprint()}
     * @return the filter
     */
    public static JobFilter ofDeadLetterGroup(String fingerprint) {
        return new JobFilter(Set.of(), null, null, null, null, null, null, null, null, fingerprint);
    }
}
