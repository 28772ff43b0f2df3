package io.pgjobs;

import java.util.Map;

/**
 * What {@link WorkflowClient#enqueue} wrote: the workflow's id and each step's job id, by step name.
 *
 * @param workflowId the workflow's id
 * @param jobIds each step's job id, by step name
 */
public record EnqueuedWorkflow(long workflowId, Map<String, Long> jobIds) {}
