package io.pgjobs.admin;

import io.pgjobs.Job;
import java.util.List;

/**
 * One page of jobs, newest first. Pass {@code nextBeforeId} as the next request's {@code beforeId}; it is null
 * when the search reached the oldest job (no more jobs). A filter that no index narrows searches a bounded range
 * of ids per request: when that range ran out before the page filled, the page is {@code partial} (possibly
 * empty) and every job from {@code nextBeforeId} up to the request's cursor has been searched, so continuing
 * searches older jobs.
 *
 * @param jobs the page's jobs, newest first
 * @param nextBeforeId the next request's {@code beforeId}; null when the search reached the oldest job
 * @param partial whether the searched range ran out before the page filled
 */
public record JobPage(List<Job> jobs, Long nextBeforeId, boolean partial) {}
