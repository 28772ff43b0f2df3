package io.pgjobs;

import java.time.Instant;
import java.util.List;

/**
 * A snapshot of one job row as read from the database. {@code args}, {@code metadata}, {@code result} and
 * {@code checkpoint} are JSON text; {@link JobClient#args(Job, Class)} turns args back into their type.
 * {@code checkpoint}, {@code progress} (0 to 100) and {@code progressMessage} are what its handler last saved
 * through {@link JobContext#checkpoint(Object)} and {@link JobContext#progress(int, String)}, null if never.
 * {@code partitionKey} and {@code orderingKey} are the keys its request gave ({@link JobRequest#partitionKey},
 * {@link JobRequest#orderingKey}), null if none: a partition taken from the args or metadata by the queue's
 * configuration is not one of them (docs/flow-control.md).
 */
public record Job(
        long id,
        String kind,
        String queue,
        JobState state,
        int priority,
        Instant runAt,
        int attempt,
        int maxAttempts,
        String args,
        String idempotencyKey,
        List<String> tags,
        String metadata,
        String result,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        String nodeId,
        Instant leaseExpiresAt,
        Instant cancelRequestedAt,
        String lastError,
        String checkpoint,
        Integer progress,
        String progressMessage,
        String partitionKey,
        String orderingKey) {}
