package io.pgjobs.internal.runtime;

import io.pgjobs.internal.config.Config;
import io.pgjobs.internal.config.Config.Registration;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.runtime.JobExecution.StopReason;
import io.pgjobs.internal.store.ClaimedJob;
import io.pgjobs.internal.store.Completion;
import io.pgjobs.internal.store.ExecutionStore;
import io.pgjobs.internal.store.WorkflowStore;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs claimed jobs: each on a worker thread as a {@link JobExecution}, whose end frees its queue's slot and
 * goes to the {@link Completer}. Tracks the jobs whose handler is still running, so that a cancel request, a
 * lost lease or a shutdown can stop them.
 */
final class Workers {
    private static final Logger log = LoggerFactory.getLogger(Workers.class);
    private static final long ABANDON_GRACE_MS = 2_000;

    private final Config config;
    private final Telemetry telemetry;
    private final ExecutionStore leases;
    private final WorkflowStore workflows;
    private final HeldJobs held;
    private final Completer completer;
    /** Jobs whose handler is still running. */
    private final Map<Long, JobExecution> executing = new ConcurrentHashMap<>();
    /** Set once a drain waits for the executing jobs to end. */
    private volatile boolean draining;
    private ExecutorService executor;
    private ScheduledExecutorService timer;
    private ExecutionEnvironment environment;

    Workers(Config config, Telemetry telemetry, ExecutionStore leases, WorkflowStore workflows, HeldJobs held,
            Completer completer) {
        this.workflows = workflows;
        this.config = config;
        this.telemetry = telemetry;
        this.leases = leases;
        this.held = held;
        this.completer = completer;
    }

    void start() {
        // A virtual thread per job: handing a job to a parked platform thread cost a futex wake and two context
        // switches per job, most of a node's CPU on short jobs (see docs/performance.md).
        executor = config.executor() != null ? config.executor()
                : Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("pgjobs-worker-", 1).factory());
        timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon(true)
                .name("pgjobs-timer").unstarted(r));
        environment = new ExecutionEnvironment(config.nodeId(), config.serializer(), config.retryPolicy(), telemetry,
                timer, leases, workflows, config.maxArgsBytes(),
                JobExecution.startWithinNanos(config.leaseDuration()));
    }

    /**
     * Starts a claimed job on a worker thread; its queue has already taken the slot {@code freeSlot} gives back.
     * The job's handler starts only if the worker thread gets to it soon enough after the claim (see
     * {@link JobExecution#run}); else the job is put back.
     */
    void launch(ClaimedJob job, Runnable freeSlot) {
        Registration<?> registration = config.handlers().get(job.kind());
        JobExecution execution = new JobExecution(job, registration, environment, new JobExecution.Ended() {
            @Override
            public void ended(JobExecution execution, Completion completion) {
                Workers.this.ended(execution, completion, freeSlot);
            }

            @Override
            public void notStarted(JobExecution execution) {
                Workers.this.notStarted(execution, freeSlot);
            }
        });
        held.hold(job);
        executing.put(job.id(), execution);
        try {
            executor.execute(execution);
        } catch (RejectedExecutionException e) {
            log.error("the executor rejected job {}; putting it back", job.id(), e);
            execution.abandon();
        }
    }

    /** The handler of {@code execution} has ended: count its completion, free its slot, queue the completion. */
    private void ended(JobExecution execution, Completion completion, Runnable freeSlot) {
        executing.remove(execution.jobId(), execution);
        completer.submit(execution.job(), completion, execution.handlerNanos(), freeSlot);
        notifyDrain();
    }

    /**
     * The handler of {@code execution} was not started, its claim too old: the job is put back if this node still
     * holds that attempt of it (else another node may own it now, and it is left alone), and is no longer held.
     */
    private void notStarted(JobExecution execution, Runnable freeSlot) {
        ClaimedJob job = execution.job();
        log.warn("job {} (attempt {}) was not started: its claim was sent {} ms ago (a handler starts only within half "
                        + "its lease of {} ms) or its lease was found lost, so it may have been rescued and claimed "
                        + "elsewhere; putting it back unless it was",
                job.id(), job.attempt(), (System.nanoTime() - job.claimSentNanos()) / 1_000_000,
                config.leaseDuration().toMillis());
        putBack(List.of(job));
        held.release(job.id(), job.attempt());
        executing.remove(execution.jobId(), execution);
        freeSlot.run();
        notifyDrain();
    }

    /**
     * Puts back jobs this node claimed and never started, as they were before the claim ({@link
     * ExecutionStore#release}: only the attempts it still holds); if that fails, they stay running until their
     * leases run out and the rescuer hands them out again.
     */
    void putBack(List<ClaimedJob> jobs) {
        try {
            leases.release(jobs, config.nodeId());
        } catch (SQLException e) {
            log.warn("could not put back {} jobs this node claimed and never started; they stay running until their "
                    + "leases run out and the rescuer hands them out again", jobs.size(), e);
        }
    }

    private void notifyDrain() {
        if (draining) {
            synchronized (executing) {
                executing.notifyAll();
            }
        }
    }

    /** Whether that attempt of the job is executing here (its handler started or about to). */
    boolean isExecuting(long jobId, int attempt) {
        JobExecution execution = executing.get(jobId);
        return execution != null && execution.attempt() == attempt;
    }

    /** Asks the handler of {@code jobId}, if it still runs here, to stop. */
    void stop(long jobId, StopReason reason) {
        JobExecution execution = executing.get(jobId);
        if (execution != null) {
            execution.stop(reason);
        }
    }

    /** Asks the handler of that attempt of {@code jobId}, if it still runs here, to stop; another attempt goes on. */
    void stop(long jobId, int attempt, StopReason reason) {
        JobExecution execution = executing.get(jobId);
        if (execution != null && execution.attempt() == attempt) {
            execution.stop(reason);
        }
    }

    /**
     * Gives running jobs until {@code deadlineMs} to end; then interrupts the rest, and puts back (as
     * available, without spending an attempt) any that still has not returned.
     */
    void drain(long deadlineMs) {
        draining = true;
        if (awaitExecuting(deadlineMs)) {
            return;
        }
        log.warn("{} jobs still running at the shutdown deadline; interrupting them", executing.size());
        executing.values().forEach(execution -> execution.stop(StopReason.SHUTDOWN));
        if (!awaitExecuting(ABANDON_GRACE_MS)) {
            log.warn("{} handlers ignored the interrupt; their jobs are put back to run again", executing.size());
            new ArrayList<>(executing.values()).forEach(JobExecution::abandon);
        }
    }

    /** Stops the timer, and the executor unless the application gave it. */
    void shutdown() {
        timer.shutdownNow();
        if (config.executor() == null) {
            executor.shutdownNow();
        }
    }

    private boolean awaitExecuting(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (executing) {
            while (!executing.isEmpty()) {
                long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (remaining <= 0) {
                    return false;
                }
                try {
                    executing.wait(Math.min(remaining, 50));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }
}
