package io.pgjobs.spring.boot;

import io.pgjobs.Batch;
import io.pgjobs.BatchClient;
import io.pgjobs.BatchStatus;
import io.pgjobs.EnqueueResult;
import io.pgjobs.EnqueuedWorkflow;
import io.pgjobs.Job;
import io.pgjobs.JobAttempt;
import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import io.pgjobs.ScheduleClient;
import io.pgjobs.Workflow;
import io.pgjobs.WorkflowClient;
import io.pgjobs.WorkflowStatus;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The application's {@link JobClient}: inside a Spring-managed transaction ({@code @Transactional},
 * {@code TransactionTemplate}) on pgjobs' {@link DataSource}, an enqueue without a connection runs on the
 * transaction's connection, so the job commits or rolls back with the business data and workers hear of it at
 * the commit. Outside one it commits at once, like pgjobs' own client.
 */
final class TransactionalJobClient implements JobClient {
    private final JobClient delegate;
    private final DataSource dataSource;

    TransactionalJobClient(JobClient delegate, DataSource dataSource) {
        this.delegate = delegate;
        this.dataSource = dataSource;
    }

    @Override
    public EnqueueResult enqueue(JobRequest request) {
        return inCurrentTransaction(connection -> delegate.enqueue(connection, request), () -> delegate.enqueue(request));
    }

    @Override
    public List<EnqueueResult> enqueueAll(List<JobRequest> requests) {
        return inCurrentTransaction(connection -> delegate.enqueueAll(connection, requests),
                () -> delegate.enqueueAll(requests));
    }

    private <T> T inCurrentTransaction(Function<Connection, T> inTransaction, Supplier<T> alone) {
        if (!TransactionSynchronizationManager.hasResource(dataSource)) {
            return alone.get();
        }
        Connection connection = DataSourceUtils.getConnection(dataSource);
        try {
            return inTransaction.apply(connection);
        } finally {
            DataSourceUtils.releaseConnection(connection, dataSource);
        }
    }

    @Override
    public EnqueueResult enqueue(Connection connection, JobRequest request) {
        return delegate.enqueue(connection, request);
    }

    @Override
    public List<EnqueueResult> enqueueAll(Connection connection, List<JobRequest> requests) {
        return delegate.enqueueAll(connection, requests);
    }

    @Override
    public Optional<Job> get(long id) {
        return delegate.get(id);
    }

    @Override
    public List<JobAttempt> attempts(long id) {
        return delegate.attempts(id);
    }

    @Override
    public <A> A args(Job job, Class<A> type) {
        return delegate.args(job, type);
    }

    @Override
    public boolean cancel(long id) {
        return delegate.cancel(id);
    }

    @Override
    public boolean retry(long id) {
        return delegate.retry(id);
    }

    @Override
    public boolean delete(long id) {
        return delegate.delete(id);
    }

    @Override
    public String awaitResult(long id, Duration timeout) throws InterruptedException, TimeoutException {
        return delegate.awaitResult(id, timeout);
    }

    @Override
    public CompletableFuture<String> awaitResultAsync(long id, Duration timeout) {
        return delegate.awaitResultAsync(id, timeout);
    }

    @Override
    public ScheduleClient schedules() {
        return delegate.schedules();
    }

    /** Workflows enqueued without a connection join the current transaction too. */
    @Override
    public WorkflowClient workflows() {
        WorkflowClient workflows = delegate.workflows();
        return new WorkflowClient() {
            @Override
            public EnqueuedWorkflow enqueue(Workflow workflow) {
                return inCurrentTransaction(connection -> workflows.enqueue(connection, workflow),
                        () -> workflows.enqueue(workflow));
            }

            @Override
            public EnqueuedWorkflow enqueue(Connection connection, Workflow workflow) {
                return workflows.enqueue(connection, workflow);
            }

            @Override
            public Optional<WorkflowStatus> get(long id) {
                return workflows.get(id);
            }

            @Override
            public WorkflowStatus await(long id, Duration timeout) throws InterruptedException, TimeoutException {
                return workflows.await(id, timeout);
            }

            @Override
            public int cancel(long id) {
                return workflows.cancel(id);
            }

            @Override
            public int retry(long id) {
                return workflows.retry(id);
            }
        };
    }

    /** Batches created and jobs added without a connection join the current transaction too. */
    @Override
    public BatchClient batches() {
        BatchClient batches = delegate.batches();
        return new BatchClient() {
            @Override
            public long create(Batch batch) {
                return inCurrentTransaction(connection -> batches.create(connection, batch),
                        () -> batches.create(batch));
            }

            @Override
            public long create(Connection connection, Batch batch) {
                return batches.create(connection, batch);
            }

            @Override
            public List<EnqueueResult> add(long batchId, List<JobRequest> requests) {
                return inCurrentTransaction(connection -> batches.add(connection, batchId, requests),
                        () -> batches.add(batchId, requests));
            }

            @Override
            public List<EnqueueResult> add(Connection connection, long batchId, List<JobRequest> requests) {
                return batches.add(connection, batchId, requests);
            }

            @Override
            public void seal(long batchId) {
                batches.seal(batchId);
            }

            @Override
            public Optional<BatchStatus> get(long batchId) {
                return batches.get(batchId);
            }
        };
    }
}
