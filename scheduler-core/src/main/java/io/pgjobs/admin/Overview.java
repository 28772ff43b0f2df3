package io.pgjobs.admin;

import io.pgjobs.JobState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's front page: jobs per state (each count capped), the queues, and finished attempts over the
 * chosen {@link Span}, read at {@code now} (database time).
 */
public record Overview(Instant now, Map<JobState, Count> states, List<QueueInfo> queues, Span span,
                       List<StatsPoint> series) {

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
}
