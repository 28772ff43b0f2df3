package io.pgjobs.admin;

import io.pgjobs.JobState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's front page: jobs per state (each count capped), the queues, finished attempts ({@code series})
 * and each queue's lag ({@code lag}) over the chosen {@link Span}, read at {@code now} (database time).
 *
 * @param now when it was read (database time)
 * @param states jobs per state, each count capped
 * @param queues the queues
 * @param span the span of the charts
 * @param series finished attempts per time bucket of the span
 * @param lag each queue's lag over the span
 */
public record Overview(Instant now, Map<JobState, Count> states, List<QueueInfo> queues, Span span,
                       List<StatsPoint> series, List<QueueLag> lag) {

    /** How far back the charts look, and how wide each of their points is. */
    public enum Span {
        /** The last hour, by the minute. */
        HOUR(Duration.ofHours(1), Duration.ofMinutes(1)),
        /** The last day, by ten minutes. */
        DAY(Duration.ofDays(1), Duration.ofMinutes(10));

        private final Duration length;
        private final Duration bucket;

        Span(Duration length, Duration bucket) {
            this.length = length;
            this.bucket = bucket;
        }

        /** {@return how far back the charts look} */
        public Duration length() {
            return length;
        }

        /** {@return how wide each point is} */
        public Duration bucket() {
            return bucket;
        }
    }

    /**
     * Attempts that ended in a time bucket starting at {@code start}, by the state their job moved to;
     * {@code failed} counts those moved to retryable, {@code discarded} those that failed for good.
     *
     * @param start the bucket's start
     * @param completed attempts whose job completed
     * @param failed attempts whose job moved to retryable
     * @param discarded attempts whose job was discarded
     * @param cancelled attempts whose job was cancelled
     * @param other attempts that ended any other way
     * @param averageDurationMs their average duration, in milliseconds
     */
    public record StatsPoint(Instant start, long completed, long failed, long discarded, long cancelled,
                             long other, long averageDurationMs) {}

    /**
     * One queue's lag over the span, from the leader's samples (a few a minute): a point for each time bucket of
     * {@code series} in which the queue was sampled; none where no node led (no samples) or the queue was not
     * in use (no runnable jobs, settings, live node working it, or work in the hour before).
     *
     * @param queue the queue
     * @param points its points, oldest first
     */
    public record QueueLag(String queue, List<LagPoint> points) {}

    /**
     * The largest values the samples of one time bucket starting at {@code start} saw: {@code lagMs}, for how long
     * the oldest due runnable job had been due (0 when none was), the runnable jobs {@code waiting} (counted up to
     * a cap) and the jobs {@code running}.
     *
     * @param start the bucket's start
     * @param lagMs the largest lag sampled, in milliseconds
     * @param waiting the most runnable jobs waiting (a capped count)
     * @param running the most jobs running
     */
    public record LagPoint(Instant start, long lagMs, Count waiting, long running) {}
}
