package io.pgjobs.internal.runtime;

import io.pgjobs.JobState;
import io.pgjobs.internal.Config;
import io.pgjobs.internal.Config.Registration;
import io.pgjobs.internal.CircuitStore;
import io.pgjobs.internal.FlowStore;
import io.pgjobs.internal.JobStore;
import io.pgjobs.internal.JobStore.ClaimedJob;
import io.pgjobs.internal.JobStore.Completion;
import io.pgjobs.internal.cron.ScheduleFirer;
import io.pgjobs.internal.cluster.Cluster;
import io.pgjobs.internal.observe.NodeHeartbeat;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.runtime.JobExecution.StopReason;
import io.pgjobs.spi.JobSerializer;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A started scheduler's moving parts: a fetcher per queue, the worker threads, the completer, the lease keeper
 * and the notification listener. It tracks every job this node holds from claim until its completion is
 * written, and shuts down in two phases (see {@link #stop()}).
 */
public final class Runtime {
    private static final Logger log = LoggerFactory.getLogger(Runtime.class);
    private static final long ABANDON_GRACE_MS = 2_000;

    private final Config config;
    private final JobStore store;
    private final FlowStore flowStore;
    private final CircuitBreakers circuits;
    private final Telemetry telemetry;
    private final Map<String, QueueFetcher> fetchers = new LinkedHashMap<>();
    /** Jobs this node holds: from claim until the completion is written. */
    /**
     * Keyed by job and attempt: a job retried at once may be claimed again by this node before the completion of
     * its previous attempt is written, and both attempts are held until then.
     */
    private final Map<HeldAttempt, JobExecution> held = new ConcurrentHashMap<>();

    private record HeldAttempt(long jobId, int attempt) {}

    /** An attempt whose completion the completer wrote and that applied; {@code flowControlled}: of such a queue. */
    record Ended(ClaimedJob job, Completion completion, boolean flowControlled) {}
    /** Jobs whose handler is still running (a subset of {@link #held}). */
    private final Map<Long, JobExecution> executing = new ConcurrentHashMap<>();
    private final Completer completer;
    private final LeaseKeeper leaseKeeper;
    private final NotificationListener listener;
    private final ScheduleFirer cronFirer;
    private final Cluster cluster;
    private final Object lifecycle = new Object();
    /** Written under {@link #lifecycle}; volatile so that health checks read it without waiting for a stop. */
    private volatile State state = State.NEW;
    private ExecutorService workers;
    private ScheduledExecutorService timer;

    enum State { NEW, STARTED, STOPPED }

    public Runtime(Config config, JobStore store, Telemetry telemetry) {
        this.config = config;
        this.store = store;
        this.flowStore = new FlowStore(config.dataSource(), config.schema(), config.notifyChannel());
        this.telemetry = telemetry;
        this.circuits = new CircuitBreakers(config.circuitBreakers(),
                new CircuitStore(config.dataSource(), config.schema()), telemetry, config.leaseDuration().toMillis());
        List<String> kinds = config.handlers().keySet().stream()
                .filter(kind -> !config.circuitBreakers().containsKey(kind)).toList();
        config.queues().forEach((queue, concurrency) -> fetchers.put(queue,
                new QueueFetcher(queue, concurrency, config.flows().get(queue), kinds, circuits.kinds(), this)));
        this.completer = new Completer(this);
        this.leaseKeeper = new LeaseKeeper(this);
        this.listener = new NotificationListener(config.dataSource(), config.notifyChannel(), this::onNotification,
                this::wakeAllFetchers);
        this.cluster = new Cluster(config, telemetry);
        // Only the leader fires. Firing stays exactly once without leadership too (see ScheduleFirer); the
        // leader check only spares the other nodes the work.
        this.cronFirer = new ScheduleFirer(config, store, cluster::isLeader, telemetry);
    }

    public void start() {
        synchronized (lifecycle) {
            if (state == State.STARTED) {
                return;
            }
            if (state == State.STOPPED) {
                throw new IllegalStateException("this scheduler was closed; build a new one to start again");
            }
            log.info("pgjobs starting: {}", config.describe());
            // A virtual thread per job: handing a job to a parked platform thread cost a futex wake and two
            // context switches, which was most of a node's CPU on short jobs (the benchmark's drain: 33 -> 17 ms
            // of node CPU per 1,000 jobs).
            workers = config.executor() != null ? config.executor()
                    : Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("pgjobs-worker-", 1).factory());
            timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon(true)
                    .name("pgjobs-timer").unstarted(r));
            completer.start();
            cluster.start();
            leaseKeeper.start();
            if (!fetchers.isEmpty()) {
                listener.start();
            }
            fetchers.values().forEach(BackgroundLoop::start);
            cronFirer.start();
            Map<String, IntSupplier> running = new LinkedHashMap<>();
            fetchers.forEach((queue, fetcher) -> running.put(queue, fetcher::running));
            telemetry.startQueues(config.queues(), running);
            state = State.STARTED;
        }
    }

    /**
     * Phase one: stop fetching and give running jobs until the shutdown deadline. Phase two: interrupt the rest,
     * and put back (as available, without spending an attempt) any that still has not returned. Then write
     * every pending completion, and stop renewing leases. Leadership is given up right after fetching stops, so
     * another node takes over while this one drains; the heartbeat stops last.
     */
    public void stop() {
        synchronized (lifecycle) {
            if (state != State.STARTED) {
                state = State.STOPPED;
                return;
            }
            state = State.STOPPED;
            cronFirer.stop();
            telemetry.stopQueues();
            fetchers.values().forEach(BackgroundLoop::stop);
            cluster.stopLeading();
            if (!awaitExecuting(config.shutdownDeadline().toMillis())) {
                log.warn("{} jobs still running at the shutdown deadline; interrupting them", executing.size());
                executing.values().forEach(execution -> execution.stop(StopReason.SHUTDOWN));
                if (!awaitExecuting(ABANDON_GRACE_MS)) {
                    log.warn("{} handlers ignored the interrupt; their jobs are put back to run again", executing.size());
                    new ArrayList<>(executing.values()).forEach(JobExecution::abandon);
                }
            }
            listener.stop();
            completer.stop();
            leaseKeeper.stop();
            cluster.stopHeartbeat();
            timer.shutdownNow();
            if (config.executor() == null) {
                workers.shutdownNow();
            }
            log.info("pgjobs node {} stopped", config.nodeId());
        }
    }

    public boolean isLeader() {
        return cluster.isLeader();
    }

    /** This node's heartbeat as its loops show it, for health checks. */
    public NodeHeartbeat heartbeat() {
        return LoopHeartbeat.of(this);
    }

    // ---- called by the components ----------------------------------------------------------------------------

    Config config() {
        return config;
    }

    JobStore store() {
        return store;
    }

    FlowStore flowStore() {
        return flowStore;
    }

    CircuitBreakers circuits() {
        return circuits;
    }

    JobSerializer serializer() {
        return config.serializer();
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    Telemetry telemetry() {
        return telemetry;
    }

    State state() {
        return state;
    }

    /** The loops of a started runtime that run on every node, for the node's health check. */
    List<BackgroundLoop> loops() {
        List<BackgroundLoop> loops = new ArrayList<>(fetchers.values());
        loops.add(completer);
        loops.add(leaseKeeper);
        if (!fetchers.isEmpty()) {
            loops.add(listener);
        }
        loops.addAll(cluster.loops());
        // it only fires on the leader, but runs a round every poll interval on every node
        loops.add(cronFirer);
        return loops;
    }

    /** Starts a claimed job on a worker thread; the fetcher has already taken its slot. */
    void launch(ClaimedJob job, QueueFetcher fetcher) {
        Registration<?> registration = config.handlers().get(job.kind());
        JobExecution execution = new JobExecution(job, registration, this, fetcher);
        held.put(new HeldAttempt(job.id(), job.attempt()), execution);
        executing.put(job.id(), execution);
        telemetry.started(job);
        try {
            workers.execute(execution);
        } catch (RejectedExecutionException e) {
            log.error("the executor rejected job {}; putting it back", job.id(), e);
            execution.abandon();
        }
    }

    /** The handler of {@code execution} has ended: free its slot and queue its completion. */
    void completed(JobExecution execution, Completion completion) {
        executing.remove(execution.jobId(), execution);
        execution.fetcher().slotFreed();
        completer.submit(completion);
        if (state == State.STOPPED) { // a stop is waiting for the executing jobs to end
            synchronized (executing) {
                executing.notifyAll();
            }
        }
    }

    /**
     * {@code completion} is in the database: this node no longer holds that attempt of the job. {@code state} is
     * the state it left the job in, null if it no longer applied (the job was taken from this node). Returns the
     * attempt's end when it applied, else null.
     */
    Ended written(Completion completion, JobState state) {
        JobExecution released = held.remove(new HeldAttempt(completion.jobId(), completion.attempt()));
        if (released == null || state == null) {
            return null;
        }
        telemetry.attemptWritten(released.job(), completion, state, released.handlerNanos());
        return new Ended(released.job(), completion, released.fetcher().flowControlled());
    }

    /**
     * The attempts of a batch the completer wrote have ended: the claimers of queues with flow control, on every
     * node, are woken (their claims may take more now), and the outcomes of kinds with circuit breakers are
     * recorded. A failure here loses only that: the wake-up (claimers look again on their poll interval), or
     * those outcomes in the breakers' counts.
     */
    void batchWritten(List<Ended> ended) throws SQLException {
        Set<String> flowQueues = new HashSet<>();
        for (Ended end : ended) {
            if (end.flowControlled()) {
                flowQueues.add(end.job().queue());
            }
        }
        if (!flowQueues.isEmpty()) {
            flowStore.wakeQueues(flowQueues);
        }
        if (!circuits.kinds().isEmpty()) {
            circuits.record(ended);
        }
    }

    /** Whether the fetchers should wait for the completer to write what it has (see {@link Completer#behind()}). */
    boolean completionsBehind() {
        return completer.behind();
    }

    List<Long> heldJobIds() {
        return held.keySet().stream().map(HeldAttempt::jobId).distinct().toList();
    }

    boolean isExecuting(long jobId) {
        return executing.containsKey(jobId);
    }

    void stopExecution(long jobId, StopReason reason) {
        JobExecution execution = executing.get(jobId);
        if (execution != null) {
            execution.stop(reason);
        }
    }

    private void onNotification(String payload) {
        if (payload.startsWith("q:")) {
            QueueFetcher fetcher = fetchers.get(payload.substring(2));
            if (fetcher != null) {
                fetcher.wake();
            }
        } else if (payload.startsWith("c:")) {
            stopExecution(Long.parseLong(payload.substring(2)), StopReason.CANCELLED);
        } else if (payload.startsWith("s:")) {
            cronFirer.wake();
        }
    }

    private void wakeAllFetchers() {
        fetchers.values().forEach(BackgroundLoop::wake);
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
