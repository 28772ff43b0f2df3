package io.pgjobs.spring.boot;

import io.pgjobs.EnqueueResult;
import io.pgjobs.Job;
import io.pgjobs.JobAttempt;
import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import io.pgjobs.ScheduleClient;
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
}
