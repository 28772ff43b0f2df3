package io.pgjobs.admin;

import io.pgjobs.JobState;
import io.pgjobs.Workflow;
import io.pgjobs.WorkflowStatus;
import java.time.Instant;
import java.util.Map;

/**
 * A workflow in a list: its state (from its steps, as {@link WorkflowStatus#state()}), its steps counted by job
 * state, when it was created, when its first step started and when its last step finished (null until then).
 */
public record WorkflowSummary(long id, String name, Workflow.OnFailure onFailure, WorkflowStatus.State state,
                              Map<JobState, Integer> steps, Instant createdAt, Instant firstStartedAt,
                              Instant lastFinishedAt) {}
