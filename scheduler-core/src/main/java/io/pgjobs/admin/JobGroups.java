package io.pgjobs.admin;

/**
 * The workflow (its id and the job's step name) and the batch a job belongs to; each null when it belongs to none.
 */
public record JobGroups(Long workflowId, String stepName, Long batchId) {}
