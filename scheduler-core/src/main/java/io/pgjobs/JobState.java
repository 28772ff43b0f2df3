package io.pgjobs;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The states of a job, and the one definition of which transitions are allowed (drawn in
 * {@code docs/state-machine.md}). The names are stored in the {@code jobs.state} column in lower case.
 */
public enum JobState {
    /** A workflow's step waiting for the steps it depends on (docs/workflows.md); the claim never sees it. */
    PENDING,
    /** Waiting for its run time, which lies in the future. */
    SCHEDULED,
    /** Ready to run now; the next free worker of its queue that knows its kind claims it. */
    AVAILABLE,
    /** Claimed by a node, which holds it under a lease while its handler runs. */
    RUNNING,
    /** Failed, waiting for its backoff to pass before the next attempt. */
    RETRYABLE,
    /** The handler returned normally. Terminal. */
    COMPLETED,
    /** Cancelled by a user before or while it ran. Terminal. */
    CANCELLED,
    /** The dead-letter state: attempts exhausted or a non-retryable error. Terminal. */
    DISCARDED;

    /** States whose jobs the fetcher may claim once their run time has come. */
    public static final Set<JobState> RUNNABLE = EnumSet.of(SCHEDULED, AVAILABLE, RETRYABLE);
    /** States a job never leaves by itself. */
    public static final Set<JobState> FINISHED = EnumSet.of(COMPLETED, CANCELLED, DISCARDED);

    private static final JobState[] STATES = values();

    /** Kept, not worked out at each call: every completion names a state, and every written one is read back. */
    private final String dbName = name().toLowerCase(Locale.ROOT);

    /**
     * Whether a job may move from this state to {@code next}.
     *
     * @param next the state it would move to
     * @return whether the move is allowed
     */
    public boolean canMoveTo(JobState next) {
        return switch (this) {
            case PENDING -> next == AVAILABLE || next == CANCELLED;
            case SCHEDULED, AVAILABLE -> next == RUNNING || next == CANCELLED || next == AVAILABLE;
            case RUNNING -> next == COMPLETED || next == RETRYABLE || next == DISCARDED || next == CANCELLED
                    || next == SCHEDULED || next == AVAILABLE;
            case RETRYABLE -> next == RUNNING || next == CANCELLED || next == DISCARDED || next == AVAILABLE;
            case COMPLETED, CANCELLED, DISCARDED -> next == AVAILABLE;
        };
    }

    /** {@return whether this is one of the {@link #FINISHED} states} */
    public boolean isFinished() {
        return FINISHED.contains(this);
    }

    /** {@return the name stored in the database} */
    public String dbName() {
        return dbName;
    }

    /**
     * The state of a name stored in the database.
     *
     * @param name the stored name, such as {@code available}
     * @return the state
     * @throws IllegalArgumentException when it names no state
     */
    public static JobState fromDb(String name) {
        for (JobState state : STATES) {
            if (state.dbName.equals(name)) {
                return state;
            }
        }
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
