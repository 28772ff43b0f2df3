package io.pgjobs.internal.runtime;

import static io.pgjobs.internal.store.Sql.call;

import io.pgjobs.Job;
import io.pgjobs.JobAttempt;
import io.pgjobs.JobState;
import io.pgjobs.PgJobsException;
import io.pgjobs.internal.config.Config;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.runtime.JobExecution.StopReason;
import io.pgjobs.internal.store.ClaimedJob;
import io.pgjobs.internal.store.Completion;
import io.pgjobs.internal.store.ExecutionStore.LeaseStatus;
import io.pgjobs.internal.store.Stores;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one given job in the caller's thread ({@code Scheduler.runJob}), through the path of every job: claimed by
 * id for this node ({@code InlineClaimStore}), run as a {@link JobExecution} (the kind's timeout and retry policy,
 * cancellation, the MDC and span), its lease renewed meanwhile, and its completion written by the completer's
 * statement ({@code ExecutionStore.complete}) before the attempt is returned. It needs no started node: the
 * lease and the timeout run on a timer of its own for the length of the run.
 *
 * <p>It is an explicit request for one job, so the job's queue may be paused or not worked by this node, and flow
 * control neither holds it back nor counts it (no limit, rate or circuit breaker sees it).
 */
final class InlineRunner {
    private static final Logger log = LoggerFactory.getLogger(InlineRunner.class);

    private final Config config;
    private final Stores stores;
    private final Telemetry telemetry;

    InlineRunner(Config config, Stores stores, Telemetry telemetry) {
        this.config = config;
        this.stores = stores;
        this.telemetry = telemetry;
    }

    JobAttempt run(long jobId) {
        ClaimedJob job = claim(jobId);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                .daemon(true).name("pgjobs-inline-" + jobId).unstarted(r));
        AtomicReference<Completion> ended = new AtomicReference<>();
        AtomicBoolean notStarted = new AtomicBoolean();
        JobExecution execution = new JobExecution(job, config.handlers().get(job.kind()),
                new ExecutionEnvironment(config.nodeId(), config.serializer(), config.retryPolicy(), telemetry, timer,
                        stores.executions(), stores.workflows(), config.maxArgsBytes(),
                        JobExecution.startWithinNanos(config.leaseDuration())),
                new JobExecution.Ended() {
                    @Override
                    public void ended(JobExecution done, Completion completion) {
                        ended.set(completion);
                    }

                    @Override
                    public void notStarted(JobExecution unstarted) {
                        notStarted.set(true);
                    }
                });
        long renewEveryMs = config.leaseDuration().toMillis() / 3;
        timer.scheduleWithFixedDelay(() -> renewLease(execution), renewEveryMs, renewEveryMs, TimeUnit.MILLISECONDS);
        // the execution reports the start itself, and clears the MDC when the handler ends: the caller's own is put
        // back
        Map<String, String> callersMdc = MDC.getCopyOfContextMap();
        try {
            execution.run();
        } finally {
            timer.shutdownNow();
            if (callersMdc != null) {
                MDC.setContextMap(callersMdc);
            }
        }
        if (notStarted.get()) {
            throw notStartedInTime(job);
        }
        return complete(job, ended.get(), execution.handlerNanos());
    }

    /**
     * The handler did not start within half the lease from the claim (the caller's thread was held up that long:
     * see {@link JobExecution#run}): the job is put back, unless it was rescued meanwhile, and the caller told.
     */
    private RuntimeException notStartedInTime(ClaimedJob job) {
        call("put back job " + job.id(), () -> {
            stores.executions().release(List.of(job), config.nodeId());
            return null;
        });
        return new IllegalStateException("job " + job.id() + " was claimed but not started: more than half its lease ("
                + config.leaseDuration() + ") passed before its handler could start, so it may have been rescued; "
                + "it was put back unless it was; run it again");
    }

    private ClaimedJob claim(long jobId) {
        Optional<ClaimedJob> claimed = call("claim job " + jobId, () -> stores.inlineClaims().claim(jobId,
                List.copyOf(config.handlers().keySet()), config.nodeId(), config.leaseDuration().toMillis()));
        return claimed.orElseThrow(() -> whyNotClaimed(jobId));
    }

    /** Why job {@code jobId} was not claimed, as read after the claim. */
    private RuntimeException whyNotClaimed(long jobId) {
        Optional<Job> found = call("read job " + jobId, () -> stores.jobs().get(jobId));
        if (found.isEmpty()) {
            return new IllegalArgumentException("jobId: there is no job " + jobId);
        }
        Job job = found.get();
        String state = job.state().dbName();
        return switch (job.state()) {
            case RUNNING -> new IllegalStateException("job " + jobId + " is running on node " + job.nodeId()
                    + " (attempt " + job.attempt() + "), so it cannot run here as well");
            case PENDING -> new IllegalStateException("job " + jobId + " is pending: it waits for its workflow's "
                    + "parent steps to finish");
            case AVAILABLE, SCHEDULED, RETRYABLE -> config.handlers().containsKey(job.kind())
                    ? new IllegalStateException("job " + jobId + " changed while it was claimed (now " + state
                            + "); run it again")
                    : new IllegalStateException("job " + jobId + " is of kind '" + job.kind() + "', which this "
                            + "scheduler has no handler for (Scheduler.Builder.handler)");
            default -> new IllegalStateException("job " + jobId + " is " + state + ": only a job waiting to run "
                    + "(available, scheduled or retryable) can be run");
        };
    }

    /** As the lease keeper does for a node's jobs: renews the lease, and stops the handler on a cancel or a loss. */
    private void renewLease(JobExecution execution) {
        try {
            List<LeaseStatus> renewed = stores.executions().renewLeases(List.of(execution.jobId()), config.nodeId(),
                    config.leaseDuration().toMillis());
            if (renewed.isEmpty()) {
                log.warn("job {} is no longer held by this node (its lease was lost); telling its handler to stop",
                        execution.jobId());
                execution.stop(StopReason.LEASE_LOST);
            } else if (renewed.getFirst().cancelRequested()) {
                execution.stop(StopReason.CANCELLED);
            }
        } catch (SQLException e) {
            log.warn("could not renew the lease of job {}; trying again: {}", execution.jobId(), e.toString());
        }
    }

    /** Writes the attempt's end as the completer does, reports it, and answers the attempt as written. */
    private JobAttempt complete(ClaimedJob job, Completion completion, long handlerNanos) {
        Map<Long, JobState> written = call("write the end of job " + job.id(),
                () -> stores.executions().complete(List.of(completion), config.nodeId(), config.leaseDuration()));
        JobState state = written.get(job.id());
        if (state == null) {
            throw new PgJobsException("job " + job.id() + " ran, but its attempt " + job.attempt() + " could not be "
                    + "written: the job no longer runs as that attempt on node " + config.nodeId() + " (its lease "
                    + "was lost and it was rescued, or it was deleted)");
        }
        telemetry.attemptWritten(job, completion, state, handlerNanos);
        return call("read the attempts of job " + job.id(), () -> stores.jobs().attempts(job.id())).stream()
                .filter(attempt -> attempt.attempt() == job.attempt()).findFirst()
                .orElseThrow(() -> new PgJobsException("job " + job.id() + "'s attempt " + job.attempt()
                        + " was written, but is gone (the job was deleted since)"));
    }
}
