package io.pgjobs;

import java.sql.Connection;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * Enqueues, reads, awaits, cancels and retries {@link Workflow workflows}; from {@link JobClient#workflows()}.
 * See docs/workflows.md for the model, its guarantees and what a crash does.
 */
public interface WorkflowClient {

    /**
     * Enqueues a workflow, its steps and their dependencies, in one transaction of its own.
     *
     * @param workflow the workflow
     * @return its id and its steps' job ids
     */
    EnqueuedWorkflow enqueue(Workflow workflow);

    /**
     * Enqueues a workflow in the transaction of {@code connection} (never committed nor closed here): with the
     * caller's own writes it commits whole or leaves nothing.
     *
     * @param connection the caller's connection, in its transaction
     * @param workflow the workflow
     * @return its id and its steps' job ids
     */
    EnqueuedWorkflow enqueue(Connection connection, Workflow workflow);

    /**
     * The workflow as it is now; empty when there is no workflow {@code id} (or retention deleted its steps).
     *
     * @param id the workflow's id
     * @return the workflow
     */
    Optional<WorkflowStatus> get(long id);

    /**
     * Waits until every step of workflow {@code id} has finished, at most {@code timeout}, and returns it then.
     *
     * @param id the workflow's id
     * @param timeout the longest wait, positive
     * @return the finished workflow
     * @throws InterruptedException when the waiting thread is interrupted
     * @throws TimeoutException when it has not finished within {@code timeout}; it goes on running
     * @throws IllegalArgumentException when there is no workflow {@code id}, or the timeout is not positive
     */
    WorkflowStatus await(long id, Duration timeout) throws InterruptedException, TimeoutException;

    /**
     * Cancels the workflow's steps that have not finished: pending and runnable ones at once, running ones are
     * asked to stop (as {@link JobClient#cancel}). Returns how many steps it cancelled or asked to stop.
     *
     * @param id the workflow's id
     * @return how many steps it cancelled or asked to stop
     */
    int cancel(long id);

    /**
     * Runs the workflow again from where it failed: its discarded and cancelled steps become pending again, and
     * those whose dependencies have all completed run now. Completed steps are not run again. Returns how many
     * steps it took back; 0 when the workflow has none that failed, or some step is still running.
     *
     * @param id the workflow's id
     * @return how many steps it took back
     */
    int retry(long id);
}
