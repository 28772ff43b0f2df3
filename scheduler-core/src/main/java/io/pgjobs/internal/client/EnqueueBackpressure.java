package io.pgjobs.internal.client;

import io.pgjobs.PgJobsException;
import io.pgjobs.QueueFullException;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.JobWriter;
import io.pgjobs.internal.store.NewJob;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Admits jobs to queues that have a maximum depth (V19), before they are inserted. The maxima are read from the
 * database at most every {@value #REFRESH_SECONDS} seconds, so that a job for a queue without one costs a map
 * lookup; a job for a queue with one costs a count of the queue's waiting jobs, up to the maximum, on the
 * enqueuing connection. Transactions that enqueue at the same moment each count without the others' uncommitted
 * jobs, so together they can go beyond the maximum by what they enqueue at once: it bounds a backlog, it is not
 * a lock.
 */
final class EnqueueBackpressure {
    static final int REFRESH_SECONDS = 5;
    private static final long FIRST_PAUSE_MS = 20;
    private static final long MAX_PAUSE_MS = 1_000;

    private final JobWriter writer;
    private final Duration waitWhenFull;
    private final Telemetry telemetry;
    private volatile Map<String, Integer> maxDepths;
    private volatile long readAtNanos;

    EnqueueBackpressure(JobWriter writer, Duration waitWhenFull, Telemetry telemetry) {
        this.writer = writer;
        this.waitWhenFull = waitWhenFull;
        this.telemetry = telemetry;
    }

    /**
     * Returns once every queue of {@code jobs} that has a maximum has room for its jobs among them, waiting up to
     * {@code enqueueWaitWhenFull}; throws {@link QueueFullException} otherwise. Writes nothing.
     */
    void admit(Connection connection, List<NewJob> jobs) throws SQLException {
        Map<String, Integer> limits = maxDepths(connection);
        if (limits.isEmpty()) {
            return;
        }
        Map<String, Integer> bounded = new LinkedHashMap<>();
        for (NewJob job : jobs) {
            if (limits.containsKey(job.queue())) {
                bounded.merge(job.queue(), 1, Integer::sum);
            }
        }
        for (Map.Entry<String, Integer> queue : bounded.entrySet()) {
            admit(connection, queue.getKey(), limits.get(queue.getKey()), queue.getValue());
        }
    }

    private void admit(Connection connection, String queue, int maxDepth, int jobs) throws SQLException {
        long deadline = System.nanoTime() + waitWhenFull.toNanos();
        long pauseMs = FIRST_PAUSE_MS;
        while (true) {
            long depth = writer.waitingJobs(connection, queue, maxDepth);
            telemetry.queueDepthChecked(queue, depth, maxDepth);
            if (depth + jobs <= maxDepth) {
                return;
            }
            // a batch bigger than the maximum never fits: no use waiting for it
            if (jobs > maxDepth || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMs) > deadline) {
                telemetry.enqueueRejected(queue, jobs);
                throw new QueueFullException(queue, maxDepth, depth, jobs);
            }
            pause(queue, pauseMs);
            pauseMs = Math.min(pauseMs * 2, MAX_PAUSE_MS);
        }
    }

    private static void pause(String queue, long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgJobsException("interrupted while waiting for room in queue '" + queue + "'", e);
        }
    }

    /** Makes the next admission read the maxima again (they were just written). */
    void forgetMaxDepths() {
        maxDepths = null;
    }

    private Map<String, Integer> maxDepths(Connection connection) throws SQLException {
        Map<String, Integer> cached = maxDepths;
        if (cached == null || System.nanoTime() - readAtNanos > TimeUnit.SECONDS.toNanos(REFRESH_SECONDS)) {
            cached = writer.maxDepths(connection);
            maxDepths = cached;
            readAtNanos = System.nanoTime();
        }
        return cached;
    }
}
