package io.pgjobs.admin;

/**
 * The workflow (its id and the job's step name) and the batch a job belongs to; each null when it belongs to none.
 *
 * @param workflowId the workflow's id; null if none
 * @param stepName the job's step name in that workflow; null if none
 * @param batchId the batch's id; null if none
 */
public record JobGroups(Long workflowId, String stepName, Long batchId) {}
