package io.pgjobs;

/**
 * How a queue with ordered keys ({@link Scheduler.Builder#orderedKeys}) treats a job that was discarded (it
 * failed its last attempt, or with a non-retryable error): whether the jobs of its key behind it wait or go on.
 * Either way a job that is failing holds its key while it waits for its retries, and a cancelled job lets the
 * key go on.
 */
public enum OrderedKeys {
    /**
     * The key stays blocked behind its discarded job until an operator retries the job (it runs again, first
     * of its key) or deletes it.
     */
    BLOCK_WHEN_DISCARDED,
    /** The next job of the key runs as if the discarded one had completed. */
    MOVE_ON_WHEN_DISCARDED
}
