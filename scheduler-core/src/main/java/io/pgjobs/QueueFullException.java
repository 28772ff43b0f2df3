package io.pgjobs;

/**
 * An enqueue was refused because its queue already holds its maximum depth of waiting jobs
 * ({@link Scheduler.Builder#queueMaxDepth}); nothing of the request (or of its batch) was written. Enqueue again
 * later, or let the client wait for room with {@link Scheduler.Builder#enqueueWaitWhenFull}.
 */
public final class QueueFullException extends RuntimeException {
    /** The full queue. */
    private final String queue;
    /** Its maximum depth. */
    private final int maxDepth;
    /** The jobs waiting in it when the enqueue was refused. */
    private final long depth;
    /** How many refused jobs were for it. */
    private final int jobs;

    /**
     * A refused enqueue.
     *
     * @param queue the full queue
     * @param maxDepth its maximum depth
     * @param depth the jobs waiting in it
     * @param jobs how many jobs of the request or batch were for it
     */
    public QueueFullException(String queue, int maxDepth, long depth, int jobs) {
        super("queue '" + queue + "' is full: " + depth + " jobs waiting, maximum " + maxDepth
                + " (queueMaxDepth); " + (jobs == 1 ? "the job was" : "the " + jobs + " jobs were")
                + " not enqueued");
        this.queue = queue;
        this.maxDepth = maxDepth;
        this.depth = depth;
        this.jobs = jobs;
    }

    /** {@return the full queue} */
    public String queue() {
        return queue;
    }

    /** {@return its maximum depth} */
    public int maxDepth() {
        return maxDepth;
    }

    /** {@return the jobs waiting in the queue when the enqueue was refused} */
    public long depth() {
        return depth;
    }

    /** {@return how many jobs of the refused request or batch were for this queue} */
    public int jobs() {
        return jobs;
    }
}
