package io.pgjobs.admin;

import java.time.Instant;

/**
 * A batch as operators see it: its counts ({@code total} jobs added, how many ended each way), whether it is
 * sealed, and each callback: the kind of job it enqueues and the id of the job it became once it fired (null
 * while it has not), or null when the batch has no such callback.
 */
public record BatchSummary(long id, String name, BatchFilter.BatchState state, boolean sealed, int total,
                           int completed, int discarded, int cancelled, Instant createdAt, Callback onSuccess,
                           Callback onDiscard, Callback onComplete) {

    /** A callback of a batch: the job kind it enqueues, and its job's id once it fired. */
    public record Callback(String kind, Long jobId) {}
}
