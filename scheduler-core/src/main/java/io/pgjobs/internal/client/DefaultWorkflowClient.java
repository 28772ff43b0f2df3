package io.pgjobs.internal.client;

import io.pgjobs.EnqueueResult;
import io.pgjobs.EnqueuedWorkflow;
import io.pgjobs.Job;
import io.pgjobs.JobRequest;
import io.pgjobs.PgJobsException;
import io.pgjobs.Workflow;
import io.pgjobs.WorkflowClient;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.WorkflowStep;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.NewJob;
import io.pgjobs.internal.store.Sql;
import io.pgjobs.internal.store.WorkflowStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * The {@link WorkflowClient}: validates and serializes a workflow's steps as {@link DefaultJobClient} does a
 * job's, admits them to queues with a maximum depth, and hands them to the {@link WorkflowStore}. Awaiting a
 * workflow waits for each unfinished step through the {@link ResultWaiter} of awaited results.
 */
final class DefaultWorkflowClient implements WorkflowClient {
    private final DataSource dataSource;
    private final Duration transactionLimit;
    private final WorkflowStore store;
    private final Function<JobRequest, NewJob> prepare;
    private final EnqueueBackpressure backpressure;
    private final ResultWaiter results;
    private final Telemetry telemetry;

    DefaultWorkflowClient(DataSource dataSource, Duration transactionLimit, WorkflowStore store,
                          Function<JobRequest, NewJob> prepare,
                          EnqueueBackpressure backpressure, ResultWaiter results, Telemetry telemetry) {
        this.telemetry = telemetry;
        this.dataSource = dataSource;
        this.transactionLimit = transactionLimit;
        this.store = store;
        this.prepare = prepare;
        this.backpressure = backpressure;
        this.results = results;
    }

    @Override
    public EnqueuedWorkflow enqueue(Workflow workflow) {
        List<WorkflowStore.NewStep> steps = prepare(workflow);
        return enqueued(steps, Sql.call("enqueue workflow '" + workflow.name() + "'",
                () -> Sql.inTransaction(dataSource, transactionLimit, connection -> insert(connection, workflow, steps))));
    }

    @Override
    public EnqueuedWorkflow enqueue(Connection connection, Workflow workflow) {
        Objects.requireNonNull(connection, "connection");
        List<WorkflowStore.NewStep> steps = prepare(workflow);
        return enqueued(steps, Sql.call("enqueue workflow '" + workflow.name() + "'",
                () -> insert(connection, workflow, steps)));
    }

    /** Counts the steps as enqueued jobs (metrics, JobEnqueued events), as {@link DefaultJobClient} does jobs. */
    private EnqueuedWorkflow enqueued(List<WorkflowStore.NewStep> steps, EnqueuedWorkflow written) {
        telemetry.enqueued(steps.stream().map(WorkflowStore.NewStep::job).toList(),
                steps.stream().map(step -> new EnqueueResult(written.jobIds().get(step.name()), false)).toList());
        return written;
    }

    private EnqueuedWorkflow insert(Connection connection, Workflow workflow, List<WorkflowStore.NewStep> steps)
            throws SQLException {
        backpressure.admit(connection, steps.stream().map(WorkflowStore.NewStep::job).toList());
        return store.insert(connection, workflow.name(), workflow.onFailure(), workflow.saga(), steps);
    }

    /** Every step validated and serialized before anything is written. */
    private List<WorkflowStore.NewStep> prepare(Workflow workflow) {
        Objects.requireNonNull(workflow, "workflow");
        List<WorkflowStore.NewStep> steps = new ArrayList<>(workflow.steps().size());
        for (Workflow.Step step : workflow.steps()) {
            steps.add(new WorkflowStore.NewStep(step.name(), prepare.apply(step.request()), step.dependsOn(),
                    step.compensation() == null ? null : prepare.apply(step.compensation())));
        }
        return steps;
    }

    @Override
    public Optional<WorkflowStatus> get(long id) {
        return Sql.call("read workflow " + id, () -> store.status(id));
    }

    @Override
    public WorkflowStatus await(long id, Duration timeout) throws InterruptedException, TimeoutException {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: must be positive, was " + timeout);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            WorkflowStatus status = get(id).orElseThrow(() -> new IllegalArgumentException("id: no workflow " + id));
            if (status.state() != WorkflowStatus.State.RUNNING) {
                return status;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("workflow " + id + " did not finish within " + timeout);
            }
            // Each step that finishes (by its completion, a cancel, or the release of V25 cancelling it) tells
            // its waiters, as does a saga's compensation; the workflow is read again once all that were
            // unfinished have finished (a saga that compensates has one of them unfinished: V28 inserts the next
            // compensation in the transaction that finishes the last step or compensation).
            List<CompletableFuture<Job>> unfinished = Stream.concat(
                            status.steps().stream()
                                    .filter(step -> !step.state().isFinished())
                                    .map(WorkflowStep::jobId),
                            status.steps().stream()
                                    .map(WorkflowStep::compensation)
                                    .filter(c -> c != null && c.state() != null && !c.state().isFinished())
                                    .map(WorkflowStep.Compensation::jobId))
                    .map(jobId -> results.await(jobId, Duration.ofNanos(left)))
                    .toList();
            CompletableFuture<Void> all = CompletableFuture.allOf(unfinished.toArray(CompletableFuture[]::new));
            try {
                all.get(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                unfinished.forEach(future -> future.cancel(false));
                throw e;
            } catch (TimeoutException e) {
                unfinished.forEach(future -> future.cancel(false));
                throw new TimeoutException("workflow " + id + " did not finish within " + timeout);
            } catch (ExecutionException e) {
                unfinished.forEach(future -> future.cancel(false));
                switch (e.getCause()) {
                    case TimeoutException timedOut ->
                            throw new TimeoutException("workflow " + id + " did not finish within " + timeout);
                    case RuntimeException failed -> throw failed;
                    default -> throw new PgJobsException("could not wait for workflow " + id + ": " + e.getCause(),
                            e.getCause());
                }
            }
        }
    }

    @Override
    public int cancel(long id) {
        return Sql.call("cancel workflow " + id, () -> store.cancel(id));
    }

    @Override
    public int retry(long id) {
        return Sql.call("retry workflow " + id, () -> store.retry(id));
    }
}
