package io.pgjobs.admin;

import io.pgjobs.JobState;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's front page: jobs per state (each count capped), the queues, and finished attempts per
 * minute over the last hour and per ten minutes over the last day, read at {@code now} (database time).
 */
public record Overview(Instant now, Map<JobState, Count> states, List<QueueInfo> queues, List<StatsPoint> lastHour,
                       List<StatsPoint> lastDay) {

    /**
     * Attempts that ended in a time bucket starting at {@code start}, by the state their job moved to;
     * {@code failed} counts those moved to retryable, {@code discarded} those that failed for good.
     */
    public record StatsPoint(Instant start, long completed, long failed, long discarded, long cancelled,
                             long other, long averageDurationMs) {}
}
