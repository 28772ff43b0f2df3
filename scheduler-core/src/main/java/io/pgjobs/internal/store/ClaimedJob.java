package io.pgjobs.internal.store;

/** A job this node has just claimed; {@code queueWaitMs} is how long it was due before the claim (database time). */
public record ClaimedJob(long id, String kind, String queue, int attempt, int maxAttempts, String argsJson,
                         String metadataJson, long queueWaitMs) {}
