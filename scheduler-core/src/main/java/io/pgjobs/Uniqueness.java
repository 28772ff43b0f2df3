package io.pgjobs;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * When a job counts as a duplicate of one that already exists, beyond an idempotency key: same kind, same queue
 * and the same args (all of them, or only the fields named), while the existing job is in one of the chosen
 * states and, with a period, was enqueued in the same period. Enqueueing a duplicate writes nothing and returns
 * the existing job's id with {@link EnqueueResult#duplicate()} true. Immutable; each method checks its value at
 * once and throws {@link IllegalArgumentException} naming it.
 *
 * <pre>{@code
 * // one report.build per customer while one is waiting or running
 * JobRequest.of(new BuildReport(customerId, month)).unique(Uniqueness.byArgs("customerId").whileUnfinished());
 * // at most one digest per hour (by default finished jobs count too, except cancelled and discarded ones)
 * JobRequest.of(new SendDigest()).unique(Uniqueness.byArgs().period(Duration.ofHours(1)));
 * }</pre>
 *
 * <p>The states always include the unfinished ones (scheduled, available, running, retryable): a job then
 * keeps its uniqueness from enqueue until it finishes, and a retry, a snooze or a rescue can never make it
 * collide with a job enqueued meanwhile.
 */
public final class Uniqueness {
    /** The states every uniqueness includes: a job is unique from enqueue until it finishes. */
    public static final Set<JobState> UNFINISHED =
            Collections.unmodifiableSet(EnumSet.of(JobState.SCHEDULED, JobState.AVAILABLE, JobState.RUNNING,
                    JobState.RETRYABLE));
    /** The default states: all but cancelled and discarded, so a failed or cancelled job can be enqueued again. */
    public static final Set<JobState> DEFAULT_STATES =
            Collections.unmodifiableSet(EnumSet.complementOf(EnumSet.of(JobState.CANCELLED, JobState.DISCARDED)));
    /** The shortest {@link #period(Duration)}. */
    public static final Duration MIN_PERIOD = Duration.ofSeconds(1);
    /** The longest {@link #period(Duration)}. */
    public static final Duration MAX_PERIOD = Duration.ofDays(366);

    private final List<String> fields;
    private final Set<JobState> states;
    private final Duration period;

    private Uniqueness(List<String> fields, Set<JobState> states, Duration period) {
        this.fields = fields;
        this.states = states;
        this.period = period;
    }

    /** {@return a uniqueness by kind, queue and all the args} */
    public static Uniqueness byArgs() {
        return new Uniqueness(List.of(), DEFAULT_STATES, null);
    }

    /**
     * Unique by kind, queue and the named top-level fields of the args (a JSON object); other fields do not
     * matter. An enqueue whose args lack one of the fields is rejected.
     *
     * @param fields the fields that count
     * @return the uniqueness
     */
    public static Uniqueness byArgs(String... fields) {
        Objects.requireNonNull(fields, "fields");
        if (fields.length == 0) {
            throw new IllegalArgumentException("unique: name at least one args field, or use byArgs() for all args");
        }
        TreeSet<String> sorted = new TreeSet<>();
        for (String field : fields) {
            if (field == null || field.isBlank()) {
                throw new IllegalArgumentException("unique: an args field name must not be blank");
            }
            if (!sorted.add(field)) {
                throw new IllegalArgumentException("unique: args field '" + field + "' is named twice");
            }
        }
        return new Uniqueness(List.copyOf(sorted), DEFAULT_STATES, null);
    }

    /**
     * Only jobs enqueued in the same period count: periods are {@code period} long, counted from the Unix epoch
     * in the database's time (so with an hour, each clock hour in UTC). 1 second to 366 days.
     *
     * @param period the period's length
     * @return a copy with that period
     */
    public Uniqueness period(Duration period) {
        Objects.requireNonNull(period, "period");
        if (period.compareTo(MIN_PERIOD) < 0 || period.compareTo(MAX_PERIOD) > 0) {
            throw new IllegalArgumentException("unique: period " + period + " is out of range " + MIN_PERIOD + ".."
                    + MAX_PERIOD);
        }
        return new Uniqueness(fields, states, period);
    }

    /**
     * Only existing jobs in these states count. They must include {@link #UNFINISHED scheduled, available,
     * running and retryable}; add completed, cancelled or discarded for jobs that should stay unique after
     * they finish.
     *
     * @param states the states
     * @return a copy with those states
     */
    public Uniqueness whileIn(JobState... states) {
        Objects.requireNonNull(states, "states");
        EnumSet<JobState> chosen = EnumSet.noneOf(JobState.class);
        for (JobState state : states) {
            chosen.add(Objects.requireNonNull(state, "states"));
        }
        if (!chosen.containsAll(UNFINISHED)) {
            EnumSet<JobState> missing = EnumSet.copyOf(UNFINISHED);
            missing.removeAll(chosen);
            throw new IllegalArgumentException("unique: states must include scheduled, available, running and "
                    + "retryable (a job stays unique until it finishes); missing " + missing);
        }
        return new Uniqueness(fields, Collections.unmodifiableSet(chosen), period);
    }

    /** {@return a copy in which only unfinished jobs count: a new job may be enqueued once the existing one has finished} */
    public Uniqueness whileUnfinished() {
        return new Uniqueness(fields, UNFINISHED, period);
    }

    /** {@return the args fields that count, sorted; empty for all the args} */
    public List<String> fields() {
        return fields;
    }

    /** {@return the states in which an existing job counts} */
    public Set<JobState> states() {
        return states;
    }

    /** {@return the period, or null for none} */
    public Duration period() {
        return period;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Uniqueness other && fields.equals(other.fields) && states.equals(other.states)
                && Objects.equals(period, other.period);
    }

    @Override
    public int hashCode() {
        return Objects.hash(fields, states, period);
    }

    @Override
    public String toString() {
        return "Uniqueness[fields=" + (fields.isEmpty() ? "all" : fields) + ", states=" + states
                + (period == null ? "" : ", period=" + period) + "]";
    }
}
