package io.pgjobs.admin;

import io.pgjobs.JobState;
import io.pgjobs.Workflow;
import io.pgjobs.WorkflowStatus;
import java.time.Instant;
import java.util.Map;

/**
 * A workflow in a list: its state (from its steps, as {@link WorkflowStatus#state()}), its steps counted by job
 * state, when it was created, when its first step started and when its last step finished (null until then).
 *
 * @param id the workflow's id
 * @param name its name
 * @param onFailure what a failed step does to its dependants
 * @param state its state, from its steps
 * @param steps its steps counted by job state
 * @param createdAt when it was enqueued
 * @param firstStartedAt when its first step started; null until then
 * @param lastFinishedAt when its last step finished; null until then
 */
public record WorkflowSummary(long id, String name, Workflow.OnFailure onFailure, WorkflowStatus.State state,
                              Map<JobState, Integer> steps, Instant createdAt, Instant firstStartedAt,
                              Instant lastFinishedAt) {}
