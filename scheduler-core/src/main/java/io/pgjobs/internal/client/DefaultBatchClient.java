package io.pgjobs.internal.client;

import io.pgjobs.Batch;
import io.pgjobs.BatchClient;
import io.pgjobs.BatchStatus;
import io.pgjobs.EnqueueResult;
import io.pgjobs.JobRequest;
import io.pgjobs.internal.store.BatchStore;
import io.pgjobs.internal.store.NewJob;
import io.pgjobs.internal.store.Sql;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * The {@link BatchClient}: callbacks are prepared as jobs are; a batch's jobs are enqueued by
 * {@link DefaultJobClient} in the transaction that locks the batch, checks it is open and adds them to it.
 */
final class DefaultBatchClient implements BatchClient {
    private final DataSource dataSource;
    private final Duration transactionLimit;
    private final BatchStore store;
    private final Function<JobRequest, NewJob> prepare;
    private final DefaultJobClient jobs;

    DefaultBatchClient(DataSource dataSource, Duration transactionLimit, BatchStore store,
                       Function<JobRequest, NewJob> prepare, DefaultJobClient jobs) {
        this.dataSource = dataSource;
        this.transactionLimit = transactionLimit;
        this.store = store;
        this.prepare = prepare;
        this.jobs = jobs;
    }

    @Override
    public long create(Batch batch) {
        Objects.requireNonNull(batch, "batch");
        return Sql.call("create batch '" + batch.name() + "'",
                () -> Sql.inTransaction(dataSource, transactionLimit, connection -> create(connection, batch)));
    }

    @Override
    public long create(Connection connection, Batch batch) {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(batch, "batch");
        NewJob onSuccess = callback(batch.onSuccess());
        NewJob onDiscard = callback(batch.onDiscard());
        NewJob onComplete = callback(batch.onComplete());
        return Sql.call("create batch '" + batch.name() + "'",
                () -> store.create(connection, batch.name(), onSuccess, onDiscard, onComplete));
    }

    private NewJob callback(JobRequest request) {
        return request == null ? null : prepare.apply(request);
    }

    @Override
    public List<EnqueueResult> add(long batchId, List<JobRequest> requests) {
        return Sql.call("add jobs to batch " + batchId,
                () -> Sql.inTransaction(dataSource, transactionLimit, connection -> add(connection, batchId, requests)));
    }

    @Override
    public List<EnqueueResult> add(Connection connection, long batchId, List<JobRequest> requests) {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(requests, "requests");
        BatchStore.Lock lock = Sql.call("lock batch " + batchId, () -> store.lock(connection, batchId));
        switch (lock) {
            case MISSING -> throw new IllegalArgumentException("batchId: no batch " + batchId);
            case SEALED -> throw new IllegalStateException("batch " + batchId + " is sealed: no job can be added");
            case OPEN -> { }
        }
        List<EnqueueResult> results = jobs.enqueueAll(connection, requests);
        List<Long> added = results.stream().filter(r -> !r.duplicate()).map(EnqueueResult::id).toList();
        Sql.call("add jobs to batch " + batchId, () -> {
            store.add(connection, batchId, added);
            return null;
        });
        return results;
    }

    @Override
    public void seal(long batchId) {
        if (!Sql.call("seal batch " + batchId, () -> store.seal(batchId))) {
            throw new IllegalArgumentException("batchId: no batch " + batchId);
        }
    }

    @Override
    public Optional<BatchStatus> get(long batchId) {
        return Sql.call("read batch " + batchId, () -> store.status(batchId));
    }
}
