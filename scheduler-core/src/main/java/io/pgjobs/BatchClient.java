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

    /**
     * Creates an open, empty batch in its own transaction; returns its id.
     *
     * @param batch the batch
     * @return its id
     */
    long create(Batch batch);

    /**
     * {@link #create(Batch)} in the transaction of {@code connection} (never committed nor closed here).
     *
     * @param connection the caller's connection, in its transaction
     * @param batch the batch
     * @return its id
     */
    long create(Connection connection, Batch batch);

    /**
     * Enqueues {@code requests} as jobs of batch {@code batchId}, in one transaction of its own. Requests whose
     * idempotency key is held already come back as duplicates and are not added. Throws
     * {@link IllegalArgumentException} when there is no such batch and {@link IllegalStateException} when it is
     * sealed; nothing is enqueued then.
     *
     * @param batchId the batch's id
     * @param requests the jobs
     * @return each job's result, in the order of the requests
     */
    List<EnqueueResult> add(long batchId, List<JobRequest> requests);

    /**
     * {@link #add(long, List)} in the transaction of {@code connection}.
     *
     * @param connection the caller's connection, in its transaction
     * @param batchId the batch's id
     * @param requests the jobs
     * @return each job's result, in the order of the requests
     */
    List<EnqueueResult> add(Connection connection, long batchId, List<JobRequest> requests);

    /**
     * Seals batch {@code batchId}: no job can be added any more, and its callbacks fire once its jobs have
     * finished (at once, in this transaction, if they all have). Sealing a sealed batch changes nothing. Throws
     * {@link IllegalArgumentException} when there is no such batch.
     *
     * @param batchId the batch's id
     */
    void seal(long batchId);

    /**
     * A batch as it is now.
     *
     * @param batchId the batch's id
     * @return the batch; empty when there is none
     */
    Optional<BatchStatus> get(long batchId);
}
