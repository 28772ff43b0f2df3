package io.pgjobs.internal.store;

import java.time.Instant;
import java.util.List;

/**
 * A job to insert, already validated and serialized. {@code runAt} null means now plus {@code delayMs};
 * {@code unique} null means unique by its idempotency key alone (if it has one).
 */
public record NewJob(String kind, String queue, int priority, Instant runAt, long delayMs, int maxAttempts,
                     String argsJson, String idempotencyKey, List<String> tags, String metadataJson,
                     UniqueKey unique, String partitionKey, String orderingKey) {
    /** A job that is not unique beyond its idempotency key, in no partition and of no ordering key. */
    public NewJob(String kind, String queue, int priority, Instant runAt, long delayMs, int maxAttempts,
                  String argsJson, String idempotencyKey, List<String> tags, String metadataJson) {
        this(kind, queue, priority, runAt, delayMs, maxAttempts, argsJson, idempotencyKey, tags, metadataJson, null,
                null, null);
    }

    /** Whether it may conflict with an existing job (and so goes in through ON CONFLICT). */
    boolean keyed() {
        return idempotencyKey != null || unique != null;
    }
}
