package io.pgjobs.internal.store;

import java.time.Instant;
import java.util.List;

/** A job to insert, already validated and serialized. {@code runAt} null means now plus {@code delayMs}. */
public record NewJob(String kind, String queue, int priority, Instant runAt, long delayMs, int maxAttempts,
                     String argsJson, String idempotencyKey, List<String> tags, String metadataJson,
                     String partitionKey, String orderingKey) {}
