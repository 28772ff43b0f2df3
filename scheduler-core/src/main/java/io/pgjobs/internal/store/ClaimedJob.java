package io.pgjobs.internal.store;

/**
 * A job this node has just claimed; {@code queueWaitMs} is how long it was due before the claim (database time),
 * {@code claimedNanos} the node's {@link System#nanoTime()} when the claim returned it: its attempt's end is
 * written as the claim's database time plus the time measured on the node since then (see {@link Completion}).
 */
public record ClaimedJob(long id, String kind, String queue, int attempt, int maxAttempts, String argsJson,
                         String metadataJson, long queueWaitMs, long claimedNanos) {}
