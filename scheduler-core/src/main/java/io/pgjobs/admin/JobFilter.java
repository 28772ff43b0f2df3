package io.pgjobs.admin;

import io.pgjobs.JobState;
import java.time.Instant;
import java.util.Set;

/**
 * Which jobs to list or act on; null (or empty) fields match everything. Time ranges include their start and
 * exclude their end. {@code args} is a predicate on the job's args, such as {@code customer_id = 42} or
 * {@code args.address.country = "PT" and plan != "free"}: dotted paths, {@code =} or {@code !=}, and a JSON
 * value (a bare word counts as a string). It becomes a bound jsonb containment test, never SQL text.
 */
public record JobFilter(Set<JobState> states, String queue, String kind, String tag, Instant createdFrom,
                        Instant createdTo, Instant finishedFrom, Instant finishedTo, String args) {

    public static final JobFilter ALL = new JobFilter(Set.of(), null, null, null, null, null, null, null, null);

    public JobFilter {
        states = states == null ? Set.of() : Set.copyOf(states);
        if (createdFrom != null && createdTo != null && !createdFrom.isBefore(createdTo)) {
            throw new IllegalArgumentException("createdFrom: must be before createdTo");
        }
        if (finishedFrom != null && finishedTo != null && !finishedFrom.isBefore(finishedTo)) {
            throw new IllegalArgumentException("finishedFrom: must be before finishedTo");
        }
    }

    public static JobFilter ofStates(JobState... states) {
        return new JobFilter(Set.of(states), null, null, null, null, null, null, null, null);
    }
}
