package io.pgjobs.admin;

import io.pgjobs.JobState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's front page: jobs per state (each count capped), the queues, finished attempts ({@code series})
 * and each queue's lag ({@code lag}) over the chosen {@link Span}, read at {@code now} (database time).
 */
public record Overview(Instant now, Map<JobState, Count> states, List<QueueInfo> queues, Span span,
                       List<StatsPoint> series, List<QueueLag> lag) {

    /** How far back the charts look, and how wide each of their points is. */
    public enum Span {
        HOUR(Duration.ofHours(1), Duration.ofMinutes(1)),
        DAY(Duration.ofDays(1), Duration.ofMinutes(10));

        private final Duration length;
        private final Duration bucket;

        Span(Duration length, Duration bucket) {
            this.length = length;
            this.bucket = bucket;
        }

        public Duration length() {
            return length;
        }

        public Duration bucket() {
            return bucket;
        }
    }

    /**
     * Attempts that ended in a time bucket starting at {@code start}, by the state their job moved to;
     * {@code failed} counts those moved to retryable, {@code discarded} those that failed for good.
     */
    public record StatsPoint(Instant start, long completed, long failed, long discarded, long cancelled,
                             long other, long averageDurationMs) {}

    /**
     * One queue's lag over the span, from the leader's samples (a few a minute): a point for each time bucket of
     * {@code series} in which the queue was sampled; none where no node led (no samples) or the queue was not
     * in use (no runnable jobs, settings, live node working it, or work in the hour before).
     */
    public record QueueLag(String queue, List<LagPoint> points) {}

    /**
     * The largest values the samples of one time bucket starting at {@code start} saw: {@code lagMs}, for how long
     * the oldest due runnable job had been due (0 when none was), the runnable jobs {@code waiting} (counted up to
     * a cap) and the jobs {@code running}.
     */
    public record LagPoint(Instant start, long lagMs, Count waiting, long running) {}
}
