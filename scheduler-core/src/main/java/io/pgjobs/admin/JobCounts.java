package io.pgjobs.admin;

import io.pgjobs.JobState;
import java.util.Map;

/**
 * What the jobs explorer shows beside its filters, read without counting the whole table: jobs per state (each
 * count capped, as the overview's), and the jobs per queue and per kind among the newest {@code window} jobs
 * (biggest first).
 *
 * @param states jobs per state, each count capped
 * @param queues jobs per queue among the newest {@code window} jobs
 * @param kinds jobs per kind among the newest {@code window} jobs
 * @param window how many of the newest jobs the per-queue and per-kind counts looked at
 */
public record JobCounts(Map<JobState, Count> states, Map<String, Long> queues, Map<String, Long> kinds, int window) {
    /** How many of the newest jobs the per-queue and per-kind counts look at. */
    public static final int WINDOW = 10_000;
}
