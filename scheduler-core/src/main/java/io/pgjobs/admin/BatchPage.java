package io.pgjobs.admin;

import java.util.List;

/** One page of batches, newest first; pass {@code nextBeforeId} as the next request's {@code beforeId} (null: no more). */
public record BatchPage(List<BatchSummary> batches, Long nextBeforeId) {}
