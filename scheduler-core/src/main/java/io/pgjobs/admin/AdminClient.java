package io.pgjobs.admin;

import io.pgjobs.Job;
import io.pgjobs.JobAttempt;
import io.pgjobs.ScheduleInfo;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What an operator sees and does. Thread-safe. Reads never count the whole jobs table; actions take the
 * {@code actor} (who acts, as the host's authentication named them) and are written to the audit log.
 *
 * <p>Bad input throws {@link IllegalArgumentException} naming the field; a database failure or a read that
 * runs past the statement timeout throws {@link io.pgjobs.PgJobsException}.
 */
public interface AdminClient {

    /**
     * The newest jobs matching {@code filter} with an id below {@code page.beforeId()}, newest first. A filter
     * that no index narrows (one without a state filter made only of running and the rare states, and without
     * a {@code finishedFrom}) searches at most 100,000 ids per call, so the page may be
     * {@link JobPage#partial() partial}: call again from {@link JobPage#nextBeforeId()} to search older jobs.
     */
    JobPage jobs(JobFilter filter, PageRequest page);

    Optional<Job> job(long id);

    List<JobAttempt> attempts(long id);

    /** Jobs per state (each count capped), queues, and the statistics of the last hour or day. */
    Overview overview(Overview.Span span);

    /** Jobs per state (each count capped) and per queue and kind among the newest jobs, for the jobs explorer. */
    JobCounts jobCounts();

    /** How many jobs {@code filter} matches, counting at most {@code cap}. */
    Count count(JobFilter filter, int cap);

    /** Applies {@code action} to one job. Returns false when the job was not in a state that allows it. */
    boolean act(String actor, JobAction action, long jobId);

    /**
     * Applies {@code action} to the next at most {@code batchSize} jobs matching {@code filter} below
     * {@code cursor} (null: from the newest). Call again with {@link BatchResult#nextCursor()} until
     * {@link BatchResult#done()}; the progress is each batch's {@code scanned}.
     */
    BatchResult actOnMatching(String actor, JobAction action, JobFilter filter, Long cursor, int batchSize);

    /** Applies {@code action} to the given jobs (at most 1000). */
    BatchResult actOnIds(String actor, JobAction action, List<Long> jobIds);

    /** Enqueues a copy of a job (kind, queue, priority, tags, metadata) with {@code argsJson} as its args. */
    long cloneJob(String actor, long jobId, String argsJson);

    List<QueueInfo> queues();

    /**
     * Each queue's finished attempts and lag per time bucket over {@code span}, by queue name: the queues with
     * work or lag samples in the span, read from the same per-minute tables as {@link #overview}'s charts.
     */
    List<QueueActivity> queueActivity(Overview.Span span);

    /** Pauses a queue: no node claims its jobs until it is resumed. An unknown queue is an IllegalArgumentException. */
    void pauseQueue(String actor, String queue);

    void resumeQueue(String actor, String queue);

    /**
     * Forgets a queue's settings (paused, concurrency limit), so that it leaves the queue list once it has no
     * jobs and no recent work; refused (IllegalArgumentException) while a live node works it. Returns false when
     * the queue had no settings.
     */
    boolean removeQueue(String actor, String queue);

    /** Dead letters (discarded jobs) grouped by error class and message fingerprint, biggest group first. */
    List<DeadLetterGroup> deadLetters();

    /** Retries or deletes the next batch of the group's dead letters; call until {@link BatchResult#done()}. */
    BatchResult actOnDeadLetters(String actor, JobAction action, String fingerprint, int batchSize);

    /** Every schedule, by name, with its next fire times and its recent runs, as {@link io.pgjobs.ScheduleClient#list()}. */
    List<ScheduleInfo> schedules();

    /**
     * Resumes or pauses a schedule, as {@link io.pgjobs.ScheduleClient#resume} and
     * {@link io.pgjobs.ScheduleClient#pause} do. Returns false when there is no such schedule.
     */
    boolean setScheduleEnabled(String actor, String name, boolean enabled);

    /**
     * Enqueues one job from the schedule now, leaving its regular fire times alone, as
     * {@link io.pgjobs.ScheduleClient#triggerNow} does; returns its id.
     */
    long triggerSchedule(String actor, String name);

    /**
     * Retries the failed compensation of saga {@code workflowId} (its state
     * {@link io.pgjobs.WorkflowStatus.SagaState#COMPENSATION_FAILED}): the discarded or cancelled compensation job
     * runs again and the saga compensates again (docs/workflows.md#sagas). Returns false, changing nothing and
     * auditing nothing, when the saga's compensation has not failed (or there is no such saga).
     */
    boolean retryCompensation(String actor, long workflowId);

    List<NodeInfo> nodes();

    /**
     * Due jobs that no live node can run, per queue and kind: no node that is alive works their queue with a
     * handler for their kind. Biggest first, at most 100 groups.
     */
    List<UnhandledKind> unhandledKinds();

    /** Every kind's circuit breaker the database holds (kinds whose breaker recorded an outcome or was set by hand). */
    List<CircuitInfo> circuits();

    /**
     * Opens the circuit of {@code kind} by hand: no node claims its jobs for {@code coolDown}, then one probe job
     * runs and its outcome closes the circuit or opens it again, as after failures.
     */
    void openCircuit(String actor, String kind, Duration coolDown);

    /** Closes the circuit of {@code kind} by hand: its jobs are claimed again, and failures count from zero. */
    void closeCircuit(String actor, String kind);

    /** Forgets the circuit of {@code kind} (closed, no counts, no probe, as if it never recorded anything). */
    void resetCircuit(String actor, String kind);

    /**
     * Every queue a live node works with flow control (docs/flow-control.md, "Where an operator looks"): its
     * settings as the nodes registered them, the jobs running under its limits and the busiest partitions, its
     * rate limit's state, and the ordering keys held back by one job, by queue name.
     */
    List<QueueFlowState> flowControl();

    /**
     * Lets the ordering key of a discarded job go on without it: the job becomes {@code cancelled} (keeping its
     * attempts, error and checkpoint; a cancelled job holds no key) and the next job of its key may run. This is
     * for a queue with {@link io.pgjobs.OrderedKeys#BLOCK_WHEN_DISCARDED}, where a discarded job holds its key
     * until an operator retries, deletes or skips it. Returns false when the job is not a discarded job with an
     * ordering key (or is a workflow's step, whose workflow already reacted to its discard).
     */
    boolean skipBlockingJob(String actor, long jobId);

    /** Audit entries with an id below {@code page.beforeId()}, newest first. */
    default List<AuditEntry> audit(PageRequest page) {
        return audit(AuditFilter.ALL, page);
    }

    /**
     * Audit entries matching {@code filter} with an id below {@code page.beforeId()}, newest first (the log
     * holds one entry per action or per chunk of a bulk action, so a filter walks it by id).
     */
    List<AuditEntry> audit(AuditFilter filter, PageRequest page);
}
