package io.pgjobs.internal.client;

import io.pgjobs.BatchClient;
import io.pgjobs.EnqueueResult;
import io.pgjobs.Job;
import io.pgjobs.JobAttempt;
import io.pgjobs.JobClient;
import io.pgjobs.JobFailedException;
import io.pgjobs.JobRequest;
import io.pgjobs.JobState;
import io.pgjobs.PgJobsException;
import io.pgjobs.WorkflowClient;
import io.pgjobs.internal.config.Config;
import io.pgjobs.internal.cron.DefaultScheduleClient;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.BatchStore;
import io.pgjobs.internal.store.JobStore;
import io.pgjobs.internal.store.JobWriter;
import io.pgjobs.internal.store.NewJob;
import io.pgjobs.internal.store.NotificationStore;
import io.pgjobs.internal.store.ScheduleStore;
import io.pgjobs.internal.store.Sql;
import io.pgjobs.internal.store.UniqueKey;
import io.pgjobs.internal.store.WorkflowStore;
import io.pgjobs.internal.values.Excerpt;
import io.pgjobs.internal.values.PgValues;
import io.pgjobs.spi.JobSerializer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** The {@link JobClient}: validates and serializes requests, then hands them to the {@link JobStore}. */
public final class DefaultJobClient implements JobClient {
    private final Config config;
    private final JobSerializer serializer;
    private final JobWriter writer;
    private final JobStore store;
    private final DefaultScheduleClient schedules;
    private final Telemetry telemetry;
    private final ResultWaiter results;
    private final EnqueueBackpressure backpressure;
    private final DefaultWorkflowClient workflows;
    private final DefaultBatchClient batches;

    public DefaultJobClient(Config config, JobWriter writer, JobStore store, ScheduleStore scheduleStore,
                            WorkflowStore workflowStore, BatchStore batchStore, NotificationStore resultNotifications,
                            Telemetry telemetry) {
        this.config = config;
        this.telemetry = telemetry;
        this.serializer = config.serializer();
        this.writer = writer;
        this.store = store;
        this.schedules = new DefaultScheduleClient(scheduleStore, writer, this::prepare, telemetry);
        this.results = new ResultWaiter(store, resultNotifications, config.resultPollInterval());
        this.backpressure = new EnqueueBackpressure(writer, config.enqueueWaitWhenFull(), telemetry);
        this.workflows = new DefaultWorkflowClient(config.dataSource(), config.leaseDuration(), workflowStore,
                this::prepare, backpressure, results, telemetry);
        this.batches = new DefaultBatchClient(config.dataSource(), config.leaseDuration(), batchStore, this::prepare,
                this);
    }

    /** Writes the maximum depths of the queues this scheduler declares (see V19); at its start. */
    public void declareQueueMaxDepths() {
        if (!config.queueMaxDepths().isEmpty()) {
            call("declare the queues' maximum depths", () -> {
                writer.declareMaxDepths(config.queueMaxDepths());
                return null;
            });
            backpressure.forgetMaxDepths();
        }
    }

    /** Stops waiting for results (see {@link ResultWaiter#close()}). */
    public void close() {
        results.close();
    }

    @Override
    public EnqueueResult enqueue(JobRequest request) {
        return insert(List.of(prepare(request))).getFirst();
    }

    @Override
    public EnqueueResult enqueue(Connection connection, JobRequest request) {
        return insert(connection, List.of(prepare(request))).getFirst();
    }

    @Override
    public List<EnqueueResult> enqueueAll(List<JobRequest> requests) {
        return insert(prepareAll(requests));
    }

    @Override
    public List<EnqueueResult> enqueueAll(Connection connection, List<JobRequest> requests) {
        return insert(connection, prepareAll(requests));
    }

    private List<EnqueueResult> insert(List<NewJob> jobs) {
        if (jobs.isEmpty()) {
            return List.of();
        }
        List<EnqueueResult> results = call("enqueue", () -> writer.insert(jobs, backpressure::admit));
        telemetry.enqueued(jobs, results);
        return results;
    }

    private List<EnqueueResult> insert(Connection connection, List<NewJob> jobs) {
        Objects.requireNonNull(connection, "connection");
        if (jobs.isEmpty()) {
            return List.of();
        }
        List<EnqueueResult> results = call("enqueue", () -> {
            backpressure.admit(connection, jobs);
            return writer.insert(connection, jobs);
        });
        telemetry.enqueued(jobs, results);
        return results;
    }

    /** Jobs inserted in a transaction that has not committed yet: {@link #committed} reports them once it has. */
    public record Inserted(List<NewJob> jobs, List<EnqueueResult> results) {}

    /**
     * Admits and inserts {@code jobs} (from {@link #prepare}) on {@code connection}, in a transaction of pgjobs'
     * own that writes more (an operator's clone and its audit entry), without reporting them: the caller reports
     * them with {@link #committed} once that transaction has committed, so a rolled-back job is never reported.
     */
    public Inserted insertUncommitted(Connection connection, List<NewJob> jobs) throws SQLException {
        backpressure.admit(connection, jobs);
        return new Inserted(jobs, writer.insert(connection, jobs));
    }

    /** Reports jobs of {@link #insertUncommitted} as enqueued (metrics and JobEnqueued), once committed. */
    public void committed(Inserted inserted) {
        telemetry.enqueued(inserted.jobs(), inserted.results());
    }

    @Override
    public Optional<Job> get(long id) {
        return call("read job " + id, () -> store.get(id));
    }

    @Override
    public List<JobAttempt> attempts(long id) {
        return call("read attempts of job " + id, () -> store.attempts(id));
    }

    @Override
    public String awaitResult(long id, Duration timeout) throws InterruptedException, TimeoutException {
        CompletableFuture<Job> finished = results.await(id, requireTimeout(timeout));
        try {
            return resultOf(finished.get());
        } catch (InterruptedException e) {
            finished.cancel(false);
            throw e;
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case TimeoutException timedOut -> throw timedOut;
                case RuntimeException failed -> throw failed;
                default -> throw new PgJobsException("could not wait for job " + id + ": " + e.getCause(), e.getCause());
            }
        }
    }

    @Override
    public CompletableFuture<String> awaitResultAsync(long id, Duration timeout) {
        CompletableFuture<Job> finished = results.await(id, requireTimeout(timeout));
        CompletableFuture<String> result = finished.thenApply(DefaultJobClient::resultOf);
        result.whenComplete((value, error) -> finished.cancel(false)); // a cancelled result stops the wait
        return result;
    }

    private static Duration requireTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: must be positive, was " + timeout);
        }
        return timeout;
    }

    private static String resultOf(Job job) {
        if (job.state() != JobState.COMPLETED) {
            throw new JobFailedException(job.id(), job.state(), job.lastError());
        }
        return job.result();
    }

    @Override
    public <A> A args(Job job, Class<A> type) {
        return serializer.fromJson(job.args(), type);
    }

    @Override
    public boolean cancel(long id) {
        JobStore.Cancellation cancellation = call("cancel job " + id, () -> store.cancel(id));
        if (cancellation.beforeStart()) {
            cancelledBeforeStart(id, cancellation);
        }
        return cancellation.applied();
    }

    /** Reports a job cancelled before it started (here or by an operator's action) once that was committed. */
    public void cancelledBeforeStart(long id, JobStore.Cancellation cancellation) {
        telemetry.cancelledBeforeStart(id, cancellation.kind(), cancellation.queue(), cancellation.attempt());
    }

    @Override
    public boolean retry(long id) {
        return call("retry job " + id, () -> store.retry(id));
    }

    @Override
    public boolean delete(long id) {
        return call("delete job " + id, () -> store.delete(id));
    }

    @Override
    public BatchClient batches() {
        return batches;
    }

    @Override
    public WorkflowClient workflows() {
        return workflows;
    }

    @Override
    public DefaultScheduleClient schedules() {
        return schedules;
    }

    /**
     * Validates and serializes every request before anything is written, so a bad one writes nothing; its
     * error names its index.
     */
    private List<NewJob> prepareAll(List<JobRequest> requests) {
        if (requests == null) {
            throw new IllegalArgumentException("requests: must not be null");
        }
        List<NewJob> jobs = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            try {
                jobs.add(prepare(requests.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("requests[" + i + "]: " + e.getMessage(), e);
            }
        }
        return jobs;
    }

    /**
     * The job to insert for {@code request}: what its setters could not check is checked here (an
     * {@link IllegalArgumentException} naming the field), before anything is written.
     */
    public NewJob prepare(JobRequest request) {
        if (request == null) {
            throw new IllegalArgumentException("request: must not be null");
        }
        String args = serializeArgs(request);
        UniqueKey unique = request.uniqueness() == null ? null
                : UniqueKeys.of(request.kind(), request.queue(), args, request.uniqueness());
        return new NewJob(request.kind(), request.queue(), request.priority(), request.runAt(),
                request.delay() == null ? 0 : request.delay().toMillis(), request.maxAttempts(),
                args, request.idempotencyKey(), request.tags(), serializeMetadata(request), unique,
                request.partitionKey(), request.orderingKey());
    }

    private String serializeArgs(JobRequest request) {
        String json;
        try {
            json = serializer.toJson(request.args());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("args: cannot serialize args of kind '" + request.kind() + "': "
                    + e.getMessage(), e);
        }
        if (json == null || !(json.startsWith("{") || json.startsWith("["))) {
            throw new IllegalArgumentException("args: args of kind '" + request.kind()
                    + "' must serialize to a JSON object or array, got " + Excerpt.of(json));
        }
        int bytes = json.length() > config.maxArgsBytes() / 3 ? json.getBytes(StandardCharsets.UTF_8).length : json.length();
        if (bytes > config.maxArgsBytes()) {
            throw new IllegalArgumentException("args: args of kind '" + request.kind() + "' are " + bytes
                    + " bytes of JSON, over the limit of " + config.maxArgsBytes() + " bytes (maxArgsBytes)");
        }
        return PgValues.json("args", json);
    }

    private String serializeMetadata(JobRequest request) {
        String json;
        try {
            json = serializer.toJson(telemetry.jobMetadata(request.metadata()));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("metadata: cannot serialize the metadata of kind '" + request.kind()
                    + "': " + e.getMessage(), e);
        }
        if (json == null || !json.startsWith("{")) {
            throw new IllegalArgumentException("metadata: the metadata of kind '" + request.kind()
                    + "' must serialize to a JSON object, got " + Excerpt.of(json));
        }
        return PgValues.json("metadata", json);
    }

    private static <T> T call(String what, Sql.Call<T> call) {
        return Sql.call(what, call);
    }
}
