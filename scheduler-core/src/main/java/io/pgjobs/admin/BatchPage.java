package io.pgjobs.admin;

import java.util.List;

/**
 * One page of batches, newest first; pass {@code nextBeforeId} as the next request's {@code beforeId} (null: no more).
 *
 * @param batches the page's batches, newest first
 * @param nextBeforeId the next request's {@code beforeId}; null when no more
 */
public record BatchPage(List<BatchSummary> batches, Long nextBeforeId) {}
