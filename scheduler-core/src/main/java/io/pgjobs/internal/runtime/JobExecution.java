package io.pgjobs.internal.runtime;

import io.pgjobs.CompensatedStep;
import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.JobContext;
import io.pgjobs.JobHandler;
import io.pgjobs.PgJobsException;
import io.pgjobs.SnoozeException;
import io.pgjobs.WorkflowStep;
import io.pgjobs.internal.config.Config.Registration;
import io.pgjobs.internal.observe.JobTracing;
import io.pgjobs.internal.store.ClaimedJob;
import io.pgjobs.internal.store.Completion;
import io.pgjobs.internal.store.Sql;
import io.pgjobs.spi.RetryPolicy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.MDC;

/**
 * One attempt of one claimed job: runs its handler on a worker thread with the MDC set, enforces the kind's
 * timeout, turns the way the handler ended into a {@link Completion}, and answers to cancellation.
 */
final class JobExecution implements Runnable {
    static final int MAX_STACK_TRACE_CHARS = 8_000;
    /** As the check constraint on {@code jobs.progress_message} (V16). */
    static final int MAX_PROGRESS_MESSAGE_CHARS = 1_000;

    /** Why an execution was asked to stop early. */
    enum StopReason { CANCELLED, TIMEOUT, SHUTDOWN, LEASE_LOST }

    private final ClaimedJob job;
    private final Registration<?> registration;
    private final ExecutionEnvironment environment;
    private final Ended ended;
    private final AtomicReference<StopReason> stopReason = new AtomicReference<>();
    private volatile Thread thread;
    private volatile boolean finished;
    /** How long the handler ran; read after the completion was written. */
    private volatile long handlerNanos;
    private Map<String, Object> metadata;

    /** Hears, exactly once per execution, how its attempt ended, or that its handler was never started. */
    interface Ended {
        void ended(JobExecution execution, Completion completion);

        /**
         * The job's claim was too old for its handler to start, or its lease was found lost (see {@link #run});
         * nothing of it was written.
         */
        void notStarted(JobExecution execution);
    }

    JobExecution(ClaimedJob job, Registration<?> registration, ExecutionEnvironment environment, Ended ended) {
        this.job = job;
        this.registration = registration;
        this.environment = environment;
        this.ended = ended;
    }

    /** How long after its claim was sent a job's handler may still start: half the lease (see {@link #run}). */
    static long startWithinNanos(Duration lease) {
        return lease.toNanos() / 2;
    }

    long jobId() {
        return job.id();
    }

    int attempt() {
        return job.attempt();
    }

    ClaimedJob job() {
        return job;
    }

    long handlerNanos() {
        return handlerNanos;
    }

    /**
     * Runs the handler, unless more than {@link ExecutionEnvironment#startWithinNanos} (half the lease) passed since
     * the job's claim was sent. The node's lease on a job it has not started is renewed only once the lease keeper
     * has seen it, which a node frozen (or starved of CPU) between the claim and this point did not do; past half
     * its lease the job may have been rescued and claimed by another node already, and its handler must not run
     * here too. Checked by the node's monotonic clock against the lease the claim asked for: the database counted
     * the lease from a moment after the claim was sent (see {@link ClaimedJob}), and within half of it the lease
     * keeper, renewing every third of a lease, renews it before it runs out. Such a job is given back
     * ({@link Ended#notStarted}), and it is not reported as started. Nor does a handler start once its execution
     * was abandoned (put back at a shutdown) before the worker thread got to it, or once the lease keeper found
     * its lease lost (given back too: the put-back changes nothing unless the attempt is still this node's).
     *
     * <p>A stop asked before the handler's thread was known reached no thread: the handler starts interrupted
     * instead. Without that, a stop recorded before the start (its reason taken) would leave a later timeout
     * with nothing to interrupt, and the handler would run past it.
     */
    @Override
    public void run() {
        if (finished) {
            return;
        }
        if (System.nanoTime() - job.claimSentNanos() >= environment.startWithinNanos()
                || stopReason.get() == StopReason.LEASE_LOST) {
            if (markFinished()) {
                ended.notStarted(this);
            }
            return;
        }
        environment.telemetry().started(job);
        thread = Thread.currentThread();
        if (stopReason.get() != null) {
            thread.interrupt();
        }
        putMdc();
        JobTracing.Span span = environment.telemetry().beginExecution(job, this::metadata);
        ScheduledFuture<?> timeout = scheduleTimeout();
        long startedNanos = System.nanoTime();
        Completion completion = null;
        try {
            completion = execute(registration);
        } finally {
            handlerNanos = System.nanoTime() - startedNanos;
            span.end(completion);
            if (timeout != null) {
                timeout.cancel(false);
            }
            thread = null;
            Thread.interrupted(); // the interrupt was meant for the handler; the pooled thread goes on clean
            MDC.clear();
        }
        finish(completion);
    }

    /** Asks the handler to stop: it sees {@link JobContext#isCancelled()} and its thread is interrupted. */
    void stop(StopReason reason) {
        if (finished || !stopReason.compareAndSet(null, reason)) {
            return;
        }
        Thread running = thread;
        if (running != null) {
            running.interrupt();
        }
    }

    /**
     * Gives up on a handler that ignored the shutdown interrupt: the job is put back as if it had been
     * interrupted, and whatever the handler does later is not written.
     */
    void abandon() {
        stop(StopReason.SHUTDOWN);
        finish(Completion.putBack(job, "the handler did not stop within the shutdown deadline"));
    }

    private <A> Completion execute(Registration<A> registration) {
        String mismatch = job.argsMismatch();
        if (mismatch != null) {
            // args that are not what was enqueued are not run: whatever changed them, nobody asked for this work
            String expected = HexFormat.of().formatHex(job.argsSha256());
            environment.telemetry().argsChecksumMismatch(job, expected, mismatch);
            PgJobsException error = new PgJobsException("args checksum mismatch: the args of job " + job.id()
                    + " have SHA-256 " + mismatch + ", not the " + expected + " stored when it was enqueued: they "
                    + "were changed after the enqueue, outside pgjobs; the job is discarded without running");
            return Completion.discarded(job, Outcome.FAILED, failure(error, error.getMessage()));
        }
        A args;
        try {
            args = environment.serializer().fromJson(job.argsJson(), registration.argsType());
        } catch (RuntimeException error) {
            // args that do not deserialize now will not deserialize on a retry either
            return Completion.discarded(job, Outcome.FAILED, failure(error, "args do not deserialize as "
                    + registration.argsType().getName() + ": " + error.getMessage()));
        }
        try {
            Object result = registration.handler().handle(new Context<>(args));
            return Completion.succeeded(job, result == null ? null : environment.serializer().toJson(result));
        } catch (SnoozeException snooze) {
            return Completion.snoozed(job, snooze.delay().toMillis());
        } catch (Throwable error) {
            return failed(registration.handler(), error);
        }
    }

    private Completion failed(JobHandler<?> handler, Throwable error) {
        StopReason reason = stopReason.get();
        if (reason == StopReason.SHUTDOWN) {
            return Completion.putBack(job, error.toString());
        }
        if (reason == StopReason.CANCELLED) {
            return Completion.cancelled(job, failure(error, "cancelled: " + error.getMessage()));
        }
        Outcome outcome = reason == StopReason.TIMEOUT ? Outcome.TIMEOUT : Outcome.FAILED;
        String message = reason == StopReason.TIMEOUT
                ? "timed out after " + handler.timeout() + " (" + error + ")"
                : error.getMessage();
        boolean retry = reason == StopReason.TIMEOUT || handler.isRetryable(error);
        if (retry && job.attempt() < job.maxAttempts()) {
            RetryPolicy policy = handler.retryPolicy() != null ? handler.retryPolicy() : environment.retryPolicy();
            long delayMs = Math.max(0, policy.delayAfter(job.attempt()).toMillis());
            return Completion.retry(job, outcome, delayMs, failure(error, message));
        }
        return Completion.discarded(job, outcome, failure(error, message));
    }

    private static Completion.Failure failure(Throwable error, String message) {
        return new Completion.Failure(error.getClass().getName(), message, stackTrace(error));
    }

    private void finish(Completion completion) {
        if (markFinished()) {
            ended.ended(this, completion);
        }
    }

    /** Whether this call ended the execution: the first of its end, its abandon and its not starting. */
    private synchronized boolean markFinished() {
        if (finished) {
            return false;
        }
        finished = true;
        return true;
    }

    /** The job's metadata (JSON objects become maps), parsed on first use; only the worker thread reads it. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> metadata() {
        if (metadata == null) {
            metadata = Collections.unmodifiableMap(environment.serializer().fromJson(job.metadataJson(), Map.class));
        }
        return metadata;
    }

    private ScheduledFuture<?> scheduleTimeout() {
        Duration timeout = registration.handler().timeout();
        if (timeout == null) {
            return null;
        }
        return environment.timer().schedule(() -> stop(StopReason.TIMEOUT), timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void putMdc() {
        MDC.put("pgjobs.job_id", Long.toString(job.id()));
        MDC.put("pgjobs.kind", job.kind());
        MDC.put("pgjobs.queue", job.queue());
        MDC.put("pgjobs.attempt", Integer.toString(job.attempt()));
        MDC.put("pgjobs.node", environment.nodeId());
    }

    static String stackTrace(Throwable error) {
        StringWriter out = new StringWriter();
        error.printStackTrace(new PrintWriter(out));
        String trace = out.toString();
        return trace.length() <= MAX_STACK_TRACE_CHARS ? trace
                : trace.substring(0, MAX_STACK_TRACE_CHARS) + "\n... (" + (trace.length() - MAX_STACK_TRACE_CHARS)
                        + " more characters)";
    }

    private final class Context<A> implements JobContext<A> {
        private final A args;
        /** The checkpoint as this attempt last read or saved it; null until then. Only the worker thread uses it. */
        private Optional<String> checkpoint;
        /** The parent steps as first read; null until then. Only the worker thread uses it. */
        private List<WorkflowStep> parents;
        /** The step this compensation job undoes as first read; null until then. Only the worker thread uses it. */
        private Optional<CompensatedStep> compensated;

        Context(A args) {
            this.args = args;
        }

        @Override public long jobId() { return job.id(); }
        @Override public String kind() { return job.kind(); }
        @Override public String queue() { return job.queue(); }
        @Override public int attempt() { return job.attempt(); }
        @Override public int maxAttempts() { return job.maxAttempts(); }
        @Override public A args() { return args; }
        @Override public String nodeId() { return environment.nodeId(); }
        @Override public boolean isCancelled() { return stopReason.get() != null; }

        @Override
        public Map<String, Object> metadata() {
            return JobExecution.this.metadata();
        }

        @Override
        public void checkpoint(Object value) {
            if (value == null) {
                throw new IllegalArgumentException("checkpoint: must not be null");
            }
            String json = environment.serializer().toJson(value);
            int bytes = json.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > environment.maxCheckpointBytes()) {
                throw new IllegalArgumentException("checkpoint: " + bytes + " bytes of JSON, over the limit of "
                        + environment.maxCheckpointBytes() + " bytes (maxArgsBytes)");
            }
            save("checkpoint", () -> environment.store().saveCheckpoint(job.id(), job.attempt(), nodeId(), json));
            checkpoint = Optional.of(json);
        }

        @Override
        public Optional<String> checkpoint() {
            if (checkpoint == null) {
                try {
                    checkpoint = environment.store().checkpoint(job.id());
                } catch (SQLException e) {
                    throw new PgJobsException("could not read the checkpoint of job " + job.id() + ": "
                            + e.getMessage(), e);
                }
            }
            return checkpoint;
        }

        @Override
        public <T> Optional<T> checkpointAs(Class<T> type) {
            return checkpoint().map(json -> environment.serializer().fromJson(json, type));
        }

        @Override
        public void progress(int percent, String message) {
            if (percent < 0 || percent > 100) {
                throw new IllegalArgumentException("progress: percent " + percent + " is out of range 0..100");
            }
            if (message != null && message.length() > MAX_PROGRESS_MESSAGE_CHARS) {
                throw new IllegalArgumentException("progress: message is " + message.length()
                        + " characters, over the limit of " + MAX_PROGRESS_MESSAGE_CHARS);
            }
            save("progress", () -> environment.store().saveProgress(job.id(), job.attempt(), nodeId(), percent, message));
        }

        private void save(String what, Sql.Call<Boolean> write) {
            boolean written;
            try {
                written = write.call();
            } catch (SQLException e) {
                throw new PgJobsException("could not save the " + what + " of job " + job.id() + ": "
                        + e.getMessage(), e);
            }
            if (!written) {
                throw new PgJobsException("could not save the " + what + " of job " + job.id()
                        + ": it is no longer running as attempt " + job.attempt() + " on node " + nodeId());
            }
        }

        @Override
        public List<WorkflowStep> parents() {
            if (parents == null) {
                try {
                    parents = environment.workflows().parents(job.id());
                } catch (SQLException e) {
                    throw new PgJobsException("could not read the parent steps of job " + job.id() + ": "
                            + e.getMessage(), e);
                }
            }
            return parents;
        }

        @Override
        public <T> T parentResult(String step, Class<T> type) {
            WorkflowStep parent = parents().stream().filter(p -> p.name().equals(step)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("step: job " + job.id() + " has no parent step '"
                            + step + "'; its parents are " + parents().stream().map(WorkflowStep::name).toList()));
            return parent.result() == null ? null : environment.serializer().fromJson(parent.result(), type);
        }

        @Override
        public Optional<CompensatedStep> compensatedStep() {
            if (compensated == null) {
                try {
                    compensated = environment.workflows().compensatedStep(job.id());
                } catch (SQLException e) {
                    throw new PgJobsException("could not read the step job " + job.id() + " compensates: "
                            + e.getMessage(), e);
                }
            }
            return compensated;
        }

        @Override
        public <T> T compensatedArgs(Class<T> type) {
            return environment.serializer().fromJson(compensatedOrThrow().args(), type);
        }

        @Override
        public <T> T compensatedResult(Class<T> type) {
            String result = compensatedOrThrow().result();
            return result == null ? null : environment.serializer().fromJson(result, type);
        }

        private CompensatedStep compensatedOrThrow() {
            return compensatedStep().orElseThrow(() -> new IllegalStateException("job " + job.id()
                    + " is not a saga's compensation job"));
        }

        @Override
        public void extendLease(Duration duration) {
            try {
                if (environment.store().renewLeases(List.of(job.id()), nodeId(), duration.toMillis()).isEmpty()) {
                    throw new PgJobsException("job " + job.id() + " is no longer owned by node " + nodeId());
                }
            } catch (SQLException e) {
                throw new PgJobsException("could not extend the lease of job " + job.id() + ": " + e.getMessage(), e);
            }
        }
    }
}
