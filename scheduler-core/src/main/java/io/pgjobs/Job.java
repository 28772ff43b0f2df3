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
 *
 * @param id the job's id
 * @param kind its kind, which names its handler
 * @param queue its queue
 * @param state its state
 * @param priority its priority, 0 (first) to 9
 * @param runAt when it is due
 * @param attempt how many attempts started
 * @param maxAttempts how many attempts it may have
 * @param args its args, JSON
 * @param idempotencyKey its idempotency key; null if none
 * @param tags its tags
 * @param metadata its metadata, JSON
 * @param result what its handler returned, JSON; null until it completed, or if it returned nothing
 * @param createdAt when it was enqueued
 * @param startedAt when its latest attempt started; null if none
 * @param finishedAt when it ended (completed, discarded or cancelled); null until then
 * @param nodeId the node of its latest attempt; null if none
 * @param leaseExpiresAt when the lease of its running attempt expires; null when not running
 * @param cancelRequestedAt when a cancel was requested while it ran; null if never
 * @param lastError the error of its latest failed attempt; null if none
 * @param checkpoint what its handler last saved as a checkpoint, JSON; null if never
 * @param progress the progress its handler last reported, 0 to 100; null if never
 * @param progressMessage the message of that progress; null if none
 * @param partitionKey the partition key its request gave; null if none
 * @param orderingKey the ordering key its request gave; null if none
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
