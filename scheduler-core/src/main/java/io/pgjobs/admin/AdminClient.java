package io.pgjobs.admin;

import io.pgjobs.Job;
import io.pgjobs.JobAttempt;
import io.pgjobs.ScheduleInfo;
import io.pgjobs.WorkflowStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an operator sees and does. Thread-safe. Reads never count the whole jobs table; actions take the
 * {@code actor} (who acts, as the host's authentication named them) and are written to the audit log.
 *
 * <p>Bad input throws {@link IllegalArgumentException} naming the field (an action on a job, workflow, queue or
 * schedule that does not exist: its subclass {@link NotFoundException}); a database failure or a read that
 * runs past the statement timeout throws {@link io.pgjobs.PgJobsException}.
 */
public interface AdminClient {

    /**
     * The newest jobs matching {@code filter} with an id below {@code page.beforeId()}, newest first. A filter
     * that no index narrows (one without a state filter made only of running and the rare states, and without
     * a {@code finishedFrom}) searches at most 100,000 ids per call, so the page may be
     * {@link JobPage#partial() partial}: call again from {@link JobPage#nextBeforeId()} to search older jobs.
     *
     * @param filter which jobs
     * @param page where the page starts and how long it is
     * @return the page
     */
    JobPage jobs(JobFilter filter, PageRequest page);

    /**
     * One job.
     *
     * @param id the job's id
     * @return the job; empty when there is none
     */
    Optional<Job> job(long id);

    /**
     * A job's attempts.
     *
     * @param id the job's id
     * @return its attempts in order; empty when there is no such job or it never ran
     */
    List<JobAttempt> attempts(long id);

    /**
     * Jobs per state (each count capped), queues, and the statistics of the last hour or day.
     *
     * @param span how far back the statistics look
     * @return the overview
     */
    Overview overview(Overview.Span span);

    /**
     * Jobs per state (each count capped) and per queue and kind among the newest jobs, for the jobs explorer.
     *
     * @return the counts
     */
    JobCounts jobCounts();

    /**
     * How many jobs {@code filter} matches, counting at most {@code cap}.
     *
     * @param filter which jobs
     * @param cap the most it counts
     * @return the count, capped
     */
    Count count(JobFilter filter, int cap);

    /**
     * Applies {@code action} to one job. Returns false when the job was not in a state that allows it; a job that
     * does not exist is a {@link NotFoundException}, and nothing is audited.
     *
     * @param actor who acts, for the audit log
     * @param action what to do
     * @param jobId the job's id
     * @return whether the job changed
     */
    boolean act(String actor, JobAction action, long jobId);

    /**
     * Applies {@code action} to the next at most {@code batchSize} jobs matching {@code filter} below
     * {@code cursor} (null: from the newest). Call again with {@link BatchResult#nextCursor()} until
     * {@link BatchResult#done()}; the progress is each batch's {@code scanned}.
     *
     * @param actor who acts, for the audit log
     * @param action what to do
     * @param filter which jobs
     * @param cursor where the batch starts (a job id, exclusive); null for the newest
     * @param batchSize the most jobs it looks at
     * @return what the batch did and where the next starts
     */
    BatchResult actOnMatching(String actor, JobAction action, JobFilter filter, Long cursor, int batchSize);

    /**
     * Applies {@code action} to the given jobs (1 to 1000, each listed once and from 1; any other list is an
     * IllegalArgumentException naming {@code jobIds}, and nothing is done).
     *
     * @param actor who acts, for the audit log
     * @param action what to do
     * @param jobIds the jobs' ids, at most 1000
     * @return what it did
     */
    BatchResult actOnIds(String actor, JobAction action, List<Long> jobIds);

    /**
     * Enqueues a copy of a job (kind, queue, priority, tags, metadata) with {@code argsJson} as its args. An
     * unknown job is a {@link NotFoundException}.
     *
     * @param actor who acts, for the audit log
     * @param jobId the job to copy
     * @param argsJson the copy's args, JSON
     * @return the copy's id
     */
    long cloneJob(String actor, long jobId, String argsJson);

    /** How many of the newest workflows one {@link #workflows} call looks at when filtering by state. */
    int WORKFLOW_SCAN = 1000;

    /**
     * The newest workflows matching {@code filter} with an id below {@code page.beforeId()}, newest first, each
     * with its steps counted by state. A workflow's state is derived from its steps, so one call looks at most
     * at {@link #WORKFLOW_SCAN} workflows and the page may be {@link WorkflowPage#partial() partial}.
     *
     * @param filter which workflows
     * @param page where the page starts and how long it is
     * @return the page
     */
    WorkflowPage workflows(WorkflowFilter filter, PageRequest page);

    /**
     * The newest {@link #WORKFLOW_SCAN} workflows counted by state (a state none is in is left out).
     *
     * @return the workflows per state
     */
    Map<WorkflowStatus.State, Integer> workflowCounts();

    /**
     * One workflow: the client's read model with how each step's job ran; empty when there is none.
     *
     * @param id the workflow's id
     * @return the workflow
     */
    Optional<WorkflowDetail> workflow(long id);

    /**
     * Cancels the workflow's unfinished steps, as {@link io.pgjobs.WorkflowClient#cancel} does; returns how many
     * steps it cancelled or asked to stop. An unknown workflow is a {@link NotFoundException}.
     *
     * @param actor who acts, for the audit log
     * @param id the workflow's id
     * @return how many steps it cancelled or asked to stop
     */
    int cancelWorkflow(String actor, long id);

    /**
     * Takes back the workflow's failed steps, as {@link io.pgjobs.WorkflowClient#retry} does; returns how many
     * (0 when none failed, or a step still runs). An unknown workflow is a {@link NotFoundException}.
     *
     * @param actor who acts, for the audit log
     * @param id the workflow's id
     * @return how many steps it took back
     */
    int retryWorkflow(String actor, long id);

    /**
     * The newest batches matching {@code filter} with an id below {@code page.beforeId()}, newest first.
     *
     * @param filter which batches
     * @param page where the page starts and how long it is
     * @return the page
     */
    BatchPage batches(BatchFilter filter, PageRequest page);

    /**
     * The workflow (and step) and the batch job {@code jobId} belongs to; empty when there is no such job.
     *
     * @param jobId the job's id
     * @return its workflow and batch
     */
    Optional<JobGroups> jobGroups(long jobId);

    /**
     * The queues: those with jobs, settings, a live node working them or recent work.
     *
     * @return the queues, by name
     */
    List<QueueInfo> queues();

    /**
     * Each queue's finished attempts and lag per time bucket over {@code span}, by queue name: the queues with
     * work or lag samples in the span, read from the same per-minute tables as {@link #overview}'s charts.
     *
     * @param span how far back it looks
     * @return each queue's activity
     */
    List<QueueActivity> queueActivity(Overview.Span span);

    /**
     * Pauses a queue: no node claims its jobs until it is resumed. An unknown queue is a {@link NotFoundException}.
     *
     * @param actor who acts, for the audit log
     * @param queue the queue
     */
    void pauseQueue(String actor, String queue);

    /**
     * Resumes a paused queue: its jobs are claimed again. An unknown queue is a {@link NotFoundException}.
     *
     * @param actor who acts, for the audit log
     * @param queue the queue
     */
    void resumeQueue(String actor, String queue);

    /**
     * Forgets a queue's settings (paused, concurrency limit), so that it leaves the queue list once it has no
     * jobs and no recent work; refused (IllegalArgumentException) while a live node works it. Returns false when
     * the queue had no settings; a queue that is none (no settings, jobs, node working it or recent work) is a
     * {@link NotFoundException}.
     *
     * @param actor who acts, for the audit log
     * @param queue the queue
     * @return whether it had settings
     */
    boolean removeQueue(String actor, String queue);

    /**
     * The database's time and the schedules' clock, read now: what a view that counts from "now" counts from.
     *
     * @return both clocks
     */
    Clocks clocks();

    /**
     * Dead letters (discarded jobs) grouped by error class and message fingerprint, biggest group first.
     *
     * @return the groups
     */
    List<DeadLetterGroup> deadLetters();

    /**
     * Retries or deletes the next batch of the group's dead letters; call until {@link BatchResult#done()}.
     *
     * @param actor who acts, for the audit log
     * @param action {@link JobAction#RETRY} or {@link JobAction#DELETE}
     * @param fingerprint the group's {@link DeadLetterGroup#fingerprint()}
     * @param batchSize the most jobs it acts on
     * @return what the batch did
     */
    BatchResult actOnDeadLetters(String actor, JobAction action, String fingerprint, int batchSize);

    /**
     * Every schedule, by name, with its next fire times and its recent runs, as {@link io.pgjobs.ScheduleClient#list()}.
     *
     * @return the schedules
     */
    List<ScheduleInfo> schedules();

    /**
     * Resumes or pauses a schedule, as {@link io.pgjobs.ScheduleClient#resume} and
     * {@link io.pgjobs.ScheduleClient#pause} do. Returns false when there is no such schedule.
     *
     * @param actor who acts, for the audit log
     * @param name the schedule's name
     * @param enabled true to resume, false to pause
     * @return whether there is such a schedule
     */
    boolean setScheduleEnabled(String actor, String name, boolean enabled);

    /**
     * Enqueues one job from the schedule now, leaving its regular fire times alone, as
     * {@link io.pgjobs.ScheduleClient#triggerNow} does; returns its id. An unknown schedule is a
     * {@link NotFoundException}.
     *
     * @param actor who acts, for the audit log
     * @param name the schedule's name
     * @return the job's id
     */
    long triggerSchedule(String actor, String name);

    /**
     * Retries the failed compensation of saga {@code workflowId} (its state
     * {@link io.pgjobs.WorkflowStatus.SagaState#COMPENSATION_FAILED}): the discarded or cancelled compensation job
     * runs again and the saga compensates again (docs/workflows.md#sagas). Returns false, changing nothing and
     * auditing nothing, when the saga's compensation has not failed (or there is no such saga).
     *
     * @param actor who acts, for the audit log
     * @param workflowId the saga's workflow id
     * @return whether its compensation runs again
     */
    boolean retryCompensation(String actor, long workflowId);

    /**
     * The nodes registered in the nodes table, alive or not.
     *
     * @return the nodes
     */
    List<NodeInfo> nodes();

    /**
     * Due jobs that no live node can run, per queue and kind: no node that is alive works their queue with a
     * handler for their kind. Biggest first, at most 100 groups.
     *
     * @return the groups of due jobs no live node can run
     */
    List<UnhandledKind> unhandledKinds();

    /**
     * Every kind's circuit breaker the database holds (kinds whose breaker recorded an outcome or was set by hand).
     *
     * @return the circuits
     */
    List<CircuitInfo> circuits();

    /**
     * Opens the circuit of {@code kind} by hand: no node claims its jobs for {@code coolDown}, then one probe job
     * runs and its outcome closes the circuit or opens it again, as after failures.
     *
     * <p>A kind whose breaker has a circuit per partition ({@link io.pgjobs.CircuitBreaker#perPartition}) has no
     * circuit of its own, and opening one would stop none of its jobs: that is refused (an
     * {@link IllegalArgumentException} naming {@code kind}) when this scheduler configures the kind so, or when the
     * database's newest record of the kind is a partition's circuit. Open its partitions' circuits
     * ({@link #openPartitionCircuit}) or pause its queue instead.
     *
     * @param actor who acts, for the audit log
     * @param kind the job kind
     * @param coolDown how long its jobs wait before a probe
     */
    void openCircuit(String actor, String kind, Duration coolDown);

    /**
     * Closes the circuit of {@code kind} by hand: its jobs are claimed again, and failures count from zero. A kind
     * without a circuit (none recorded, or it was reset) is a {@link NotFoundException}, and nothing is audited.
     *
     * @param actor who acts, for the audit log
     * @param kind the job kind
     */
    void closeCircuit(String actor, String kind);

    /**
     * Forgets the circuit of {@code kind} (closed, no counts, no probe, as if it never recorded anything). A kind
     * without a circuit is a {@link NotFoundException}, and nothing is audited.
     *
     * @param actor who acts, for the audit log
     * @param kind the job kind
     */
    void resetCircuit(String actor, String kind);

    /**
     * The circuits per partition ({@link io.pgjobs.CircuitBreaker#perPartition}) that are not closed (their
     * partition's jobs wait, or one probe runs), by kind and partition, at most 1,000.
     *
     * @return the partitions' circuits that are open or half-open
     */
    List<PartitionCircuitInfo> partitionCircuits();

    /**
     * Opens one partition's circuit of {@code kind} by hand: no node claims that partition's jobs for
     * {@code coolDown}, then one probe job of it runs, as after failures. The kind's other partitions go on.
     *
     * @param actor who acts, for the audit log
     * @param kind the job kind (its breaker has a circuit per partition)
     * @param partition the partition, as the kind's partition key finds it ("" for jobs without a key); a value of
     *                  more than 1,500 bytes names the same circuit as its digest {@code sha256:<hex>}, which is
     *                  how {@link #partitionCircuits} shows it (docs/flow-control.md, "Long partition values")
     * @param coolDown how long its jobs wait before a probe, 100 ms to 1 day
     */
    void openPartitionCircuit(String actor, String kind, String partition, Duration coolDown);

    /**
     * Closes one partition's circuit of {@code kind} by hand: its jobs are claimed again, failures count from zero.
     * A partition without a circuit (none recorded, or it was reset) is a {@link NotFoundException}, and nothing
     * is audited.
     *
     * @param actor who acts, for the audit log
     * @param kind the job kind
     * @param partition the partition, or the value it is the digest of, as for {@link #openPartitionCircuit}
     */
    void closePartitionCircuit(String actor, String kind, String partition);

    /**
     * Forgets one partition's circuit of {@code kind} (closed, no counts, no probe). A partition without a
     * circuit is a {@link NotFoundException}, and nothing is audited.
     *
     * @param actor who acts, for the audit log
     * @param kind the job kind
     * @param partition the partition, or the value it is the digest of, as for {@link #openPartitionCircuit}
     */
    void resetPartitionCircuit(String actor, String kind, String partition);

    /**
     * Every queue a live node works with flow control (docs/flow-control.md, "Where an operator looks"): its
     * settings as the nodes registered them, the jobs running under its limits and the busiest partitions, its
     * rate limit's state, and the ordering keys held back by one job, by queue name.
     *
     * @return each such queue's state
     */
    List<QueueFlowState> flowControl();

    /**
     * Lets the ordering key of a discarded job go on without it: the job becomes {@code cancelled} (keeping its
     * attempts, error and checkpoint; a cancelled job holds no key) and the next job of its key may run. This is
     * for a queue with {@link io.pgjobs.OrderedKeys#BLOCK_WHEN_DISCARDED}, where a discarded job holds its key
     * until an operator retries, deletes or skips it. Returns false when the job is not a discarded job with an
     * ordering key (or is a workflow's step, whose workflow already reacted to its discard); a job that does not
     * exist is a {@link NotFoundException}.
     *
     * @param actor who acts, for the audit log
     * @param jobId the discarded job's id
     * @return whether it was skipped
     */
    boolean skipBlockingJob(String actor, long jobId);

    /**
     * Audit entries with an id below {@code page.beforeId()}, newest first.
     *
     * @param page where the page starts and how long it is
     * @return the entries
     */
    default List<AuditEntry> audit(PageRequest page) {
        return audit(AuditFilter.ALL, page);
    }

    /**
     * Audit entries matching {@code filter} with an id below {@code page.beforeId()}, newest first (the log
     * holds one entry per action or per chunk of a bulk action, so a filter walks it by id).
     *
     * @param filter which entries
     * @param page where the page starts and how long it is
     * @return the entries
     */
    List<AuditEntry> audit(AuditFilter filter, PageRequest page);
}
