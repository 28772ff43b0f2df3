package io.pgjobs.admin;

import io.pgjobs.JobState;
import io.pgjobs.WorkflowStatus;
import java.time.Instant;
import java.util.List;

/**
 * One workflow for operators: the client's read model ({@link io.pgjobs.WorkflowClient#get}: name, failure
 * policy, each step's state, dependencies, result and last error) with when it was created and how each step's
 * job ran, in step order.
 *
 * @param workflow the client's read model of it
 * @param state its state, from its steps
 * @param createdAt when it was enqueued
 * @param runs how each step's job ran, in step order
 */
public record WorkflowDetail(WorkflowStatus workflow, WorkflowStatus.State state, Instant createdAt,
                             List<StepRun> runs) {

    /**
     * How a step's job ran: its kind and queue, its attempts so far, when its last attempt started and when it
     * finished, and how long it ran (until now while it runs; null if it never started).
     *
     * @param step the step's name
     * @param jobId its job's id
     * @param kind its job's kind
     * @param queue its job's queue
     * @param state its job's state
     * @param attempt how many attempts started
     * @param maxAttempts how many attempts it may have
     * @param startedAt when its last attempt started; null if none
     * @param finishedAt when it finished; null until then
     * @param durationMs how long it ran, until now while it runs; null if it never started
     */
    public record StepRun(String step, long jobId, String kind, String queue, JobState state, int attempt,
                          int maxAttempts, Instant startedAt, Instant finishedAt, Long durationMs) {}
}
