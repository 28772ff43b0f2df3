package io.pgjobs;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.jooq.DSLContext;

/**
 * Enqueues and inspects jobs. Thread-safe; get it from {@link Scheduler#client()}.
 *
 * <p>Enqueueing comes in three flavours. On a caller's {@link Connection} or jOOQ {@link DSLContext} the job
 * joins the caller's transaction: it is committed with the business data or rolled back with it, and workers
 * are only told about it after the commit. Without either, pgjobs uses its own DataSource and commits at once.
 *
 * <p>Bad input throws {@link IllegalArgumentException} naming the field, and nothing is written. A database
 * failure throws {@link PgJobsException}.
 */
public interface JobClient {

    /**
     * Enqueues one job in its own transaction.
     *
     * @param request the job
     * @return the job's id, and whether it was a duplicate
     */
    EnqueueResult enqueue(JobRequest request);

    /**
     * Shorthand for {@code enqueue(JobRequest.of(args))}.
     *
     * @param args the args, whose class carries {@link JobKind}
     * @return the job's id, and whether it was a duplicate
     */
    default EnqueueResult enqueue(Object args) {
        return enqueue(JobRequest.of(args));
    }

    /**
     * Enqueues one job inside the transaction of {@code connection}; never commits nor closes it.
     *
     * @param connection the caller's connection, in its transaction
     * @param request the job
     * @return the job's id, and whether it was a duplicate
     */
    EnqueueResult enqueue(Connection connection, JobRequest request);

    /**
     * Enqueues one job inside {@code dsl}'s current transaction (e.g. within {@code dsl.transaction(...)}).
     *
     * @param dsl the caller's jOOQ context, in its transaction
     * @param request the job
     * @return the job's id, and whether it was a duplicate
     */
    default EnqueueResult enqueue(DSLContext dsl, JobRequest request) {
        return dsl.connectionResult(connection -> enqueue(connection, request));
    }

    /**
     * Enqueues many jobs in one round trip and one transaction. Results are in the order of the requests;
     * requests whose idempotency key already exists (or repeats within the batch) come back as duplicates.
     *
     * @param requests the jobs
     * @return each job's result, in the order of the requests
     */
    List<EnqueueResult> enqueueAll(List<JobRequest> requests);

    /**
     * {@link #enqueueAll(List)} inside the transaction of {@code connection}.
     *
     * @param connection the caller's connection, in its transaction
     * @param requests the jobs
     * @return each job's result, in the order of the requests
     */
    List<EnqueueResult> enqueueAll(Connection connection, List<JobRequest> requests);

    /**
     * {@link #enqueueAll(List)} inside {@code dsl}'s current transaction.
     *
     * @param dsl the caller's jOOQ context, in its transaction
     * @param requests the jobs
     * @return each job's result, in the order of the requests
     */
    default List<EnqueueResult> enqueueAll(DSLContext dsl, List<JobRequest> requests) {
        return dsl.connectionResult(connection -> enqueueAll(connection, requests));
    }

    /**
     * One job as it is now.
     *
     * @param id the job's id
     * @return the job; empty when there is none
     */
    Optional<Job> get(long id);

    /**
     * Every recorded attempt of the job, oldest first.
     *
     * @param id the job's id
     * @return its attempts
     */
    List<JobAttempt> attempts(long id);

    /**
     * Waits until job {@code id} finishes, at most {@code timeout}, and returns its result: the JSON of what its
     * handler returned, null if it returned nothing. The wait is woken by a notification sent by the statement
     * that finishes the job, with a poll every {@code resultPollInterval} in case one is lost.
     *
     * <pre>{@code
     * long id = client.enqueue(new RenderInvoice(orderId)).id();
     * String pdfUrl = client.awaitResult(id, Duration.ofSeconds(30));
     * }</pre>
     *
     * @param id the job's id
     * @param timeout the longest wait, positive
     * @return the JSON of its result; null if its handler returned nothing
     * @throws JobFailedException when the job was discarded or cancelled (it carries the job's last error)
     * @throws TimeoutException when the job has not finished within {@code timeout}; it goes on running
     * @throws IllegalArgumentException when there is no job {@code id}, or the timeout is not positive
     * @throws InterruptedException when the waiting thread is interrupted
     */
    String awaitResult(long id, Duration timeout) throws InterruptedException, TimeoutException;

    /**
     * {@link #awaitResult(long, Duration)} without blocking a thread: the future completes with the result, or
     * exceptionally with what {@code awaitResult} would throw. Its callbacks run on the common pool, never on
     * pgjobs' listener; cancelling it stops waiting.
     *
     * @param id the job's id
     * @param timeout the longest wait, positive
     * @return the future result
     */
    CompletableFuture<String> awaitResultAsync(long id, Duration timeout);

    /**
     * Reads a job's args back as {@code type}, with the configured serializer.
     *
     * @param <A> the args' type
     * @param job the job
     * @param type the args' type
     * @return its args
     */
    <A> A args(Job job, Class<A> type);

    /**
     * Cancels a job. One that has not started is cancelled at once; a running one is asked to stop (its
     * handler sees {@link JobContext#isCancelled()} and an interrupt) and ends cancelled. Returns false when
     * the job does not exist or has already finished.
     *
     * @param id the job's id
     * @return whether it was cancelled or asked to stop
     */
    boolean cancel(long id);

    /**
     * Makes a finished, retryable or scheduled job available to run now, with fresh attempts if it had used
     * them all. Returns false when the job does not exist, is running, or is a pending workflow step. Throws {@link IllegalStateException},
     * changing nothing, when the job is {@link JobRequest#unique unique} and another job holds its key now.
     *
     * @param id the job's id
     * @return whether it is available to run again
     */
    boolean retry(long id);

    /**
     * Deletes a job that is not running, with its attempts. Returns false when there was none to delete.
     *
     * @param id the job's id
     * @return whether it was deleted
     */
    boolean delete(long id);

    /**
     * Enqueues, reads, awaits, cancels and retries workflows: jobs that depend on each other.
     *
     * @return the workflows' client
     */
    WorkflowClient workflows();

    /**
     * Creates batches of jobs with callbacks, adds jobs to them, seals and reads them.
     *
     * @return the batches' client
     */
    BatchClient batches();

    /**
     * Manages cron schedules: create or update, pause, resume, delete, trigger now, list.
     *
     * @return the schedules' client
     */
    ScheduleClient schedules();
}
