package io.pgjobs.admin;

/**
 * Due jobs that wait for a handler no live node has: {@code jobs} jobs of {@code kind} in {@code queue}, and no
 * node that is alive works that queue with a handler for that kind (the nodes register both when they start).
 * They wait until such a node starts, or an operator deletes or moves them. Counted among a bounded number of
 * due jobs (see docs/observability.md).
 *
 * @param queue the jobs' queue
 * @param kind the jobs' kind
 * @param jobs how many due jobs wait
 */
public record UnhandledKind(String queue, String kind, long jobs) {}
