package io.pgjobs;

import java.sql.Connection;
import java.util.List;
import java.util.Optional;

/**
 * Creates batches, adds jobs to them, seals and reads them; from {@link JobClient#batches()}.
 *
 * <pre>{@code
 * long batch = client.batches().create(Batch.builder("import-" + fileId)
 *         .onSuccess(JobRequest.of(new ImportDone(fileId)))
 *         .onDiscard(JobRequest.of(new ImportFailed(fileId))).build());
 * client.batches().add(batch, rows.stream().map(row -> JobRequest.of(new ImportRow(fileId, row))).toList());
 * client.batches().seal(batch);
 * }</pre>
 */
public interface BatchClient {

    /** Creates an open, empty batch in its own transaction; returns its id. */
    long create(Batch batch);

    /** {@link #create(Batch)} in the transaction of {@code connection} (never committed nor closed here). */
    long create(Connection connection, Batch batch);

    /**
     * Enqueues {@code requests} as jobs of batch {@code batchId}, in one transaction of its own. Requests whose
     * idempotency key is held already come back as duplicates and are not added. Throws
     * {@link IllegalArgumentException} when there is no such batch and {@link IllegalStateException} when it is
     * sealed; nothing is enqueued then.
     */
    List<EnqueueResult> add(long batchId, List<JobRequest> requests);

    /** {@link #add(long, List)} in the transaction of {@code connection}. */
    List<EnqueueResult> add(Connection connection, long batchId, List<JobRequest> requests);

    /**
     * Seals batch {@code batchId}: no job can be added any more, and its callbacks fire once its jobs have
     * finished (at once, in this transaction, if they all have). Sealing a sealed batch changes nothing. Throws
     * {@link IllegalArgumentException} when there is no such batch.
     */
    void seal(long batchId);

    Optional<BatchStatus> get(long batchId);
}
