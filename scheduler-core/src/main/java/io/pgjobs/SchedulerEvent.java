package io.pgjobs;

import java.time.Duration;
import java.time.Instant;

/**
 * Something that happened to a job, a node or a schedule, as seen by this scheduler and handed to its
 * {@link JobListener}s. Switch over the records; more may be added in later versions.
 *
 * <p>A failing attempt produces {@link JobFailed} followed by either {@link JobRetried} (it will run again) or
 * {@link JobDiscarded} (it is in the dead-letter state). Job events after the start are sent once the
 * attempt's outcome is written to the database.
 */
public sealed interface SchedulerEvent {

    /**
     * A new job was inserted (not sent for an idempotency-key duplicate). For an enqueue that joins the
     * caller's transaction it is sent before the caller commits, so the job may still be rolled back.
     *
     * @param jobId the job's id
     * @param kind the job's kind
     * @param queue the job's queue
     */
    record JobEnqueued(long jobId, String kind, String queue) implements SchedulerEvent {}

    /**
     * This node started an attempt.
     *
     * @param jobId the job's id
     * @param kind the job's kind
     * @param queue the job's queue
     * @param attempt the attempt's number, from 1
     * @param nodeId this node's id
     * @param queueWait how long the job was due before it started
     */
    record JobStarted(long jobId, String kind, String queue, int attempt, String nodeId, Duration queueWait)
            implements SchedulerEvent {}

    /**
     * An attempt completed successfully.
     *
     * @param jobId the job's id
     * @param kind the job's kind
     * @param queue the job's queue
     * @param attempt the attempt's number, from 1
     * @param duration how long its handler ran
     */
    record JobSucceeded(long jobId, String kind, String queue, int attempt, Duration duration)
            implements SchedulerEvent {}

    /**
     * An attempt failed (threw, timed out, or had args that do not deserialize).
     *
     * @param jobId the job's id
     * @param kind the job's kind
     * @param queue the job's queue
     * @param attempt the attempt's number, from 1
     * @param errorClass the class name of the failure's exception
     * @param message the failure's message
     * @param duration how long its handler ran
     */
    record JobFailed(long jobId, String kind, String queue, int attempt, String errorClass, String message,
                     Duration duration) implements SchedulerEvent {}

    /**
     * A failed job will run again after {@code delay}.
     *
     * @param jobId the job's id
     * @param kind the job's kind
     * @param queue the job's queue
     * @param attempt the number of the attempt that failed, from 1
     * @param delay how long until the next attempt is due
     */
    record JobRetried(long jobId, String kind, String queue, int attempt, Duration delay) implements SchedulerEvent {}

    /**
     * A job landed in the dead-letter state ({@link JobState#DISCARDED}) after its last allowed attempt.
     *
     * @param jobId the job's id
     * @param kind the job's kind
     * @param queue the job's queue
     * @param attempt the number of its last attempt, from 1
     * @param errorClass the class name of its last failure's exception
     * @param message the failure's message
     */
    record JobDiscarded(long jobId, String kind, String queue, int attempt, String errorClass, String message)
            implements SchedulerEvent {}

    /**
     * A job's args, as this node read them at its claim, do not hash to the SHA-256 stored when it was enqueued:
     * they were changed in the database after the enqueue, outside pgjobs. The job is discarded without running
     * its handler ({@link JobFailed} and {@link JobDiscarded} follow once that is written).
     *
     * @param jobId the job's id
     * @param kind the job's kind
     * @param queue the job's queue
     * @param attempt the attempt's number, from 1
     * @param expectedSha256 the SHA-256 stored at the enqueue, in hex
     * @param actualSha256 the SHA-256 of the args as read, in hex
     */
    record ArgsChecksumMismatch(long jobId, String kind, String queue, int attempt, String expectedSha256,
                                String actualSha256) implements SchedulerEvent {}

    /**
     * A running job stopped on a cancel request and ended {@link JobState#CANCELLED}.
     *
     * @param jobId the job's id
     * @param kind the job's kind
     * @param queue the job's queue
     * @param attempt the number of the attempt that was running, from 1
     */
    record JobCancelled(long jobId, String kind, String queue, int attempt) implements SchedulerEvent {}

    /**
     * This node registered in the cluster's node table: when it starts, and again if its row had been removed
     * (it was silent for an hour) and it registers anew.
     *
     * @param nodeId this node's id
     */
    record NodeJoined(String nodeId) implements SchedulerEvent {}

    /**
     * The leader removed the row of a node that stopped heartbeating without closing, an hour after its last
     * heartbeat. Sent once, by that leader; the node's jobs were rescued when their leases expired, long before.
     *
     * @param nodeId the removed node's id
     */
    record NodeLost(String nodeId) implements SchedulerEvent {}

    /**
     * This node gained leadership ({@code leaderId} is this node; {@code previousLeaderId} the node still marked
     * as leader, or null) or lost it ({@code previousLeaderId} is this node, {@code leaderId} null: it cannot
     * know who takes over).
     *
     * @param previousLeaderId the node that led before, or null
     * @param leaderId the node that leads now, or null
     */
    record LeaderChanged(String previousLeaderId, String leaderId) implements SchedulerEvent {}

    /**
     * A kind's circuit opened (after failures, or a failed probe): its jobs wait until a probe runs.
     *
     * @param kind the job kind whose circuit opened
     * @param reason why it opened, for people to read
     */
    record CircuitOpened(String kind, String reason) implements SchedulerEvent {}

    /**
     * A kind's circuit let one probe job through after its cool-down.
     *
     * @param kind the job kind whose circuit is half-open
     * @param probeJobId the id of the job let through as the probe
     */
    record CircuitHalfOpened(String kind, long probeJobId) implements SchedulerEvent {}

    /**
     * A kind's circuit closed after its probe succeeded: its jobs are claimed again.
     *
     * @param kind the job kind whose circuit closed
     * @param reason why it closed, for people to read
     */
    record CircuitClosed(String kind, String reason) implements SchedulerEvent {}

    /**
     * One partition's circuit of a kind with a circuit per partition opened: that partition's jobs wait until a
     * probe runs; the kind's other partitions go on.
     *
     * @param kind the job kind
     * @param partition the partition whose circuit opened
     * @param reason why it opened, for people to read
     */
    record PartitionCircuitOpened(String kind, String partition, String reason) implements SchedulerEvent {}

    /**
     * One partition's circuit let one probe job through after its cool-down.
     *
     * @param kind the job kind
     * @param partition the partition whose circuit is half-open
     * @param probeJobId the id of the job let through as the probe
     */
    record PartitionCircuitHalfOpened(String kind, String partition, long probeJobId) implements SchedulerEvent {}

    /**
     * One partition's circuit closed after its probe succeeded: its jobs are claimed again.
     *
     * @param kind the job kind
     * @param partition the partition whose circuit closed
     * @param reason why it closed, for people to read
     */
    record PartitionCircuitClosed(String kind, String partition, String reason) implements SchedulerEvent {}

    /**
     * A cron schedule enqueued its job for {@code fireTime} (sent by the node that fired it, after commit).
     *
     * @param schedule the schedule's name
     * @param fireTime the fire time, as the cron expression gives it
     * @param jobId the id of the job it enqueued
     */
    record ScheduleFired(String schedule, Instant fireTime, long jobId) implements SchedulerEvent {}

    /**
     * A cron schedule missed {@code fireTime} (no leader fired it within a minute) and its misfire policy decided
     * what to do: {@code firedLate} tells whether a job was enqueued for it after all. For several missed times,
     * {@code fireTime} is the first of them.
     *
     * @param schedule the schedule's name
     * @param fireTime the (first) missed fire time
     * @param firedLate whether a job was enqueued for it after all
     */
    record ScheduleMisfired(String schedule, Instant fireTime, boolean firedLate) implements SchedulerEvent {}

    /**
     * A saga moved to {@code state} (docs/workflows.md#sagas), in the transaction that finished one of its steps
     * or compensations; published once, by the leader, when the notification of that commit reaches it.
     *
     * @param workflowId the saga's workflow id
     * @param state the saga's new state
     */
    record SagaStateChanged(long workflowId, WorkflowStatus.SagaState state) implements SchedulerEvent {}
}
