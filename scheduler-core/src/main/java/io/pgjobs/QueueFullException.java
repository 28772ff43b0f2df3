package io.pgjobs;

/**
 * An enqueue was refused because its queue already holds its maximum depth of waiting jobs
 * ({@link Scheduler.Builder#queueMaxDepth}); nothing of the request (or of its batch) was written. Enqueue again
 * later, or let the client wait for room with {@link Scheduler.Builder#enqueueWaitWhenFull}.
 */
public final class QueueFullException extends RuntimeException {
    private final String queue;
    private final int maxDepth;
    private final long depth;
    private final int jobs;

    public QueueFullException(String queue, int maxDepth, long depth, int jobs) {
        super("queue '" + queue + "' is full: " + depth + " jobs waiting, maximum " + maxDepth
                + " (queueMaxDepth); " + (jobs == 1 ? "the job was" : "the " + jobs + " jobs were")
                + " not enqueued");
        this.queue = queue;
        this.maxDepth = maxDepth;
        this.depth = depth;
        this.jobs = jobs;
    }

    public String queue() {
        return queue;
    }

    public int maxDepth() {
        return maxDepth;
    }

    /** The jobs waiting in the queue when the enqueue was refused. */
    public long depth() {
        return depth;
    }

    /** How many jobs of the refused request or batch were for this queue. */
    public int jobs() {
        return jobs;
    }
}
