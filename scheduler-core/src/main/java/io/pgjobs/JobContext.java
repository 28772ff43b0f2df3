package io.pgjobs;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a handler knows about the job it runs. The logging MDC carries the same facts while it runs.
 *
 * @param <A> the type of the job's args
 */
public interface JobContext<A> {
    /** {@return the job's id} */
    long jobId();

    /** {@return the job's kind} */
    String kind();

    /** {@return the job's queue} */
    String queue();

    /** {@return this attempt's number: 1 for the first attempt} */
    int attempt();

    /** {@return how many attempts the job may have} */
    int maxAttempts();

    /** {@return the deserialized args} */
    A args();

    /** {@return the job's metadata (JSON objects become maps)} */
    Map<String, Object> metadata();

    /** {@return the id of the node running this attempt} */
    String nodeId();

    /**
     * True once the job was cancelled, its timeout passed, the scheduler is shutting down past its deadline,
     * or this node lost the job's lease. The handler's thread is also interrupted in each case; long loops
     * should check this and stop.
     *
     * @return whether the handler should stop
     */
    boolean isCancelled();

    /**
     * Extends this job's lease to at least {@code duration} from the database's now. Leases are renewed
     * automatically while the handler runs; call this before a step that may block renewals (a long GC pause
     * budget, say). Throws {@link PgJobsException} when this node no longer owns the job.
     *
     * @param duration the shortest lease from now
     */
    void extendLease(Duration duration);

    /**
     * Saves {@code value} (written as JSON by the scheduler's serializer) as this job's checkpoint, in the
     * database at once, replacing the previous one. A later attempt of the job (a retry, or a rescue after this
     * node crashed) reads it back with {@link #checkpoint()} and can resume from there instead of from the start.
     * Throws {@link IllegalArgumentException} when the JSON is larger than {@code maxArgsBytes}, and
     * {@link PgJobsException} when this node no longer owns the job (nothing is written then).
     *
     * <pre>{@code
     * int from = ctx.checkpointAs(Integer.class).orElse(0);
     * for (int page = from; page < pages; page++) {
     *     export(page);
     *     ctx.checkpoint(page + 1);
     * }
     * }</pre>
     *
     * @param value the checkpoint
     */
    void checkpoint(Object value);

    /** {@return the last checkpoint saved for this job, by this attempt or an earlier one, as JSON; empty if none} */
    Optional<String> checkpoint();

    /**
     * {@link #checkpoint()} read back as {@code type} with the scheduler's serializer.
     *
     * @param <T> the checkpoint's type
     * @param type the checkpoint's type
     * @return the checkpoint; empty if none
     */
    <T> Optional<T> checkpointAs(Class<T> type);

    /**
     * Saves this job's progress, {@code percent} from 0 to 100 with an optional message (at most 1000
     * characters), in the database at once; {@link JobClient#get(long)} and the admin API show it. Throws
     * {@link IllegalArgumentException} naming the bad argument, and {@link PgJobsException} when this node no
     * longer owns the job.
     *
     * @param percent the progress, 0 to 100
     * @param message what it is doing; null for none
     */
    void progress(int percent, String message);

    /**
     * The steps this workflow step depends on (docs/workflows.md), as they are now: completed, or, in a workflow
     * that runs dependants of failed steps, discarded or cancelled. Empty for a job outside a workflow, and for a
     * step without dependencies. Read from the database at the first call.
     *
     * @return the parent steps
     */
    List<WorkflowStep> parents();

    /**
     * What the parent step {@code step} returned, read as {@code type} with the scheduler's serializer; null when
     * it returned nothing or did not complete. Throws {@link IllegalArgumentException} when this job has no
     * parent step named {@code step}.
     *
     * <pre>{@code
     * String parcel = ctx.parentResult("pack", String.class);
     * }</pre>
     *
     * @param <T> the result's type
     * @param step the parent step's name
     * @param type the result's type
     * @return its result; null when it returned nothing or did not complete
     */
    <T> T parentResult(String step, Class<T> type);

    /**
     * For a saga's compensation job, the step it undoes, with its args and result; empty for any other job. Read
     * from the database at the first call.
     *
     * <pre>{@code
     * String booking = ctx.compensatedResult(String.class);   // what the step being undone returned
     * }</pre>
     *
     * @return the step it undoes
     */
    Optional<CompensatedStep> compensatedStep();

    /**
     * The args of the step this compensation job undoes, read as {@code type} with the scheduler's serializer.
     * Throws {@link IllegalStateException} when this job is not a compensation.
     *
     * @param <T> the args' type
     * @param type the args' type
     * @return the args
     */
    <T> T compensatedArgs(Class<T> type);

    /**
     * What the step this compensation job undoes returned, read as {@code type}; null when it returned nothing.
     * Throws {@link IllegalStateException} when this job is not a compensation.
     *
     * @param <T> the result's type
     * @param type the result's type
     * @return the result; null when it returned nothing
     */
    <T> T compensatedResult(Class<T> type);
}
