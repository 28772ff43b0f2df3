package io.pgjobs.admin;

import java.util.List;

/**
 * One page of workflows, newest first. Pass {@code nextBeforeId} as the next request's {@code beforeId}; it is
 * null when no older workflow is left. A state filter is checked against each workflow's steps, so one request
 * looks at most {@link AdminClient#WORKFLOW_SCAN} workflows: when those ran out before the page filled, the page
 * is {@code partial} (possibly empty) and continuing from {@code nextBeforeId} searches older workflows.
 *
 * @param workflows the page's workflows, newest first
 * @param nextBeforeId the next request's {@code beforeId}; null when no older workflow is left
 * @param partial whether the workflows looked at ran out before the page filled
 */
public record WorkflowPage(List<WorkflowSummary> workflows, Long nextBeforeId, boolean partial) {}
