package io.pgjobs.admin;

import java.time.Instant;

/**
 * A batch as operators see it: its counts ({@code total} jobs added, how many ended each way), whether it is
 * sealed, and each callback: the kind of job it enqueues and the id of the job it became once it fired (null
 * while it has not), or null when the batch has no such callback.
 *
 * @param id the batch's id
 * @param name its name
 * @param state where it stands
 * @param sealed whether it is sealed
 * @param total how many jobs were added
 * @param completed how many completed
 * @param discarded how many were discarded
 * @param cancelled how many were cancelled
 * @param createdAt when it was created
 * @param onSuccess its on-success callback; null if none
 * @param onDiscard its on-discard callback; null if none
 * @param onComplete its on-complete callback; null if none
 */
public record BatchSummary(long id, String name, BatchFilter.BatchState state, boolean sealed, int total,
                           int completed, int discarded, int cancelled, Instant createdAt, Callback onSuccess,
                           Callback onDiscard, Callback onComplete) {

    /**
     * A callback of a batch: the job kind it enqueues, and its job's id once it fired.
     *
     * @param kind the kind of job it enqueues
     * @param jobId its job's id once it fired; null until then
     */
    public record Callback(String kind, Long jobId) {}
}
