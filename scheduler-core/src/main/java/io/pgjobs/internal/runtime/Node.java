package io.pgjobs.internal.runtime;

import io.pgjobs.JobAttempt;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.internal.cluster.Cluster;
import io.pgjobs.internal.config.Config;
import io.pgjobs.internal.config.Pool;
import io.pgjobs.internal.cron.ScheduleFirer;
import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.observe.NodeHeartbeat;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.runtime.JobExecution.StopReason;
import io.pgjobs.internal.store.Stores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a started scheduler runs on this node, and its one start/stop script. A job flows one way: a
 * {@link QueueFetcher} per queue claims it, {@link Workers} run it as a {@link JobExecution}, the
 * {@link Completer} writes how it ended, and {@link Telemetry} reports it. Beside them: the {@link LeaseKeeper}
 * renews the leases of the {@link HeldJobs}, the {@link NotificationListener} wakes fetchers and passes on
 * cancel requests, the {@link Cluster} (heartbeat, leader, chores) and the {@link ScheduleFirer}. It shuts
 * down in two phases (see {@link #stop()}).
 */
public final class Node {
    private static final Logger log = LoggerFactory.getLogger(Node.class);

    /** How long the loops that fetch and lead get to stop before they are interrupted. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(2);
    /** How long, after the jobs drained, the last completions and the heartbeat's stopped mark get. */
    private static final Duration FINISH_WAIT = Duration.ofSeconds(5);

    /** Where the node is in its life; it never goes back. */
    enum State { NEW, STARTED, STOPPED }

    private final Config config;
    private final Pool pool;
    private final Telemetry telemetry;
    /** This node's shares of the limits of its queues limited only as a whole, by queue. */
    private final Map<String, LimitShare> shares;
    private final Map<String, QueueFetcher> fetchers = new LinkedHashMap<>();
    private final Workers workers;
    private final Completer completer;
    private final LeaseKeeper leaseKeeper;
    /** Renews this node's shares of queue limits; null when no queue has one. */
    private final LimitShareKeeper shareKeeper;
    private final NotificationListener listener;
    private final ScheduleFirer cronFirer;
    private final Cluster cluster;
    private final InlineRunner inline;
    private final Object lifecycle = new Object();
    /** Written under {@link #lifecycle}; volatile so that health checks read it without waiting for a stop. */
    private volatile State state = State.NEW;

    public Node(Config config, Stores stores, Telemetry telemetry, Pool pool) {
        this.config = config;
        this.pool = pool;
        this.telemetry = telemetry;
        HeldJobs held = new HeldJobs();
        CircuitBreakers circuits = new CircuitBreakers(config.circuitBreakers(), stores.circuits(), telemetry,
                config.leaseDuration().toMillis());
        // a queue limited only as a whole runs under this node's share of the limit (LimitShare); its claimers wait
        // for their share, not for jobs to end elsewhere, so its completions wake no one
        this.shares = new LinkedHashMap<>();
        config.flows().forEach((queue, flow) -> {
            if (LimitShare.covers(flow) && config.queues().containsKey(queue)) {
                shares.put(queue, new LimitShare(queue, flow.queueLimit(), config.queues().get(queue),
                        config.leaseDuration()));
            }
        });
        Set<String> waking = new LinkedHashSet<>(config.flows().keySet());
        waking.removeAll(shares.keySet());
        this.completer = new Completer(stores.executions(), config.nodeId(), config.leaseDuration(), held, telemetry,
                waking, stores.flow(), this::wakeFetcher, circuits);
        this.workers = new Workers(config, telemetry, stores.executions(), stores.workflows(), held, completer);
        // kinds with a circuit breaker are claimed apart, while their circuit is closed (see QueueFetcher)
        List<String> kinds = config.handlers().keySet().stream()
                .filter(kind -> !config.circuitBreakers().containsKey(kind)).toList();
        config.queues().forEach((queue, concurrency) -> fetchers.put(queue, new QueueFetcher(queue, concurrency,
                config.flows().get(queue), shares.get(queue), kinds, stores.executions(), stores.flow(), circuits,
                stores.busyQueues(), config.nodeId(), config.leaseDuration(), config.pollInterval(), completer::behind,
                workers)));
        this.shareKeeper = shares.isEmpty() ? null : new LimitShareKeeper(List.copyOf(shares.values()),
                stores.limitShares(), config.nodeId(), config.pollInterval());
        this.leaseKeeper = new LeaseKeeper(stores.executions(), config.nodeId(), config.leaseDuration(), held, workers);
        // once it listens (again), everything wakes: a notification sent while it did not listen is lost
        this.listener = new NotificationListener("pgjobs-listener", stores.notifications(), this::onNotification,
                this::wakeAll);
        // a new leader fires at once, rather than after the poll interval its firer sleeps while it follows
        this.cluster = new Cluster(config, stores.nodes(), stores.maintenance(), telemetry, this::wakeCronFirer);
        // Only the leader fires. Firing stays exactly once without leadership too (see ScheduleFirer); the
        // leader check only spares the other nodes the work.
        this.cronFirer = new ScheduleFirer(stores.schedules(), stores.jobWriter(), config.pollInterval(),
                cluster::isLeader, telemetry);
        this.inline = new InlineRunner(config, stores, telemetry);
    }

    public void start() {
        synchronized (lifecycle) {
            if (state == State.STARTED) {
                return;
            }
            if (state == State.STOPPED) {
                throw new IllegalStateException("this scheduler was closed; build a new one to start again");
            }
            requirePoolSize();
            log.info("pgjobs starting: {}", config.describe());
            workers.start();
            completer.start();
            cluster.start();
            leaseKeeper.start();
            if (shareKeeper != null) {
                shareKeeper.start();
            }
            if (!fetchers.isEmpty()) {
                listener.start();
            }
            fetchers.values().forEach(BackgroundLoop::start);
            cronFirer.start();
            Map<String, IntSupplier> running = new LinkedHashMap<>();
            Map<String, IntSupplier> buffered = new LinkedHashMap<>();
            fetchers.forEach((queue, fetcher) -> {
                running.put(queue, fetcher::running);
                buffered.put(queue, fetcher::buffered);
            });
            telemetry.startQueues(config.queues(), running, buffered, config.nodeDeadAfter());
            fetchers.forEach((queue, fetcher) ->
                    telemetry.bindBusyPolls(queue, fetcher::pollsOnItsOwn, fetcher::turnedBusy));
            shares.forEach((queue, share) -> telemetry.bindLimitShare(queue, share::slots, share::changes));
            state = State.STARTED;
        }
    }

    /**
     * Phase one: stop fetching and give running jobs until the shutdown deadline. Phase two: interrupt the rest,
     * and put back (as available, without spending an attempt) any that still has not returned. Then write
     * every pending completion, and stop renewing leases. Leadership is given up right after fetching stops, so
     * another node takes over while this one drains; the heartbeat stops last.
     *
     * <p>It returns within the shutdown deadline and a few seconds whatever the loops are blocked on (a pool with
     * no free connection, say): the loops that fetch and lead get {@link #STOP_WAIT}, those that finish the
     * node's work (the last completions, the heartbeat's stopped mark) get {@link #FINISH_WAIT} after the jobs
     * drained; a loop still busy then is interrupted, and left behind if that does not end it
     * ({@link BackgroundLoop#stopBy}).
     */
    public void stop() {
        synchronized (lifecycle) {
            if (state != State.STARTED) {
                state = State.STOPPED;
                return;
            }
            state = State.STOPPED;
            long stopping = System.nanoTime();
            List<BackgroundLoop> fetching = new ArrayList<>(fetchers.values());
            fetching.add(cronFirer);
            telemetry.stopQueues();
            BackgroundLoop.stopAll(fetching, stopping + STOP_WAIT.toNanos());
            cluster.stopLeading(System.nanoTime() + STOP_WAIT.toNanos());
            long drained = stopping + config.shutdownDeadline().toNanos();
            workers.drain(Math.max(0, TimeUnit.NANOSECONDS.toMillis(drained - System.nanoTime())));
            long finished = System.nanoTime() + FINISH_WAIT.toNanos();
            listener.stopBy(finished);
            completer.stopBy(finished);
            leaseKeeper.stopBy(finished);
            if (shareKeeper != null) {
                shareKeeper.stopBy(finished);
            }
            cluster.stopHeartbeat(finished);
            workers.shutdown();
            log.info("pgjobs node {} stopped", config.nodeId());
        }
    }

    /**
     * How many connections this node's loops may hold at once: the notification listener (with queues) and the
     * leader session hold one each for the node's life; the completer, the lease keeper and each queue's fetcher
     * (with queues) borrow one often; the heartbeat, the cron firer and the leader's chores borrow one now and
     * then and can share one. Below that some loop waits for a connection that never comes free: a node whose
     * completer waits finishes nothing (docs/guide.md, "Connections").
     */
    public static int connectionsNeeded(Config config) {
        int queues = config.queues().size();
        return queues == 0 ? 2 : 5 + queues + (sharesLimits(config) ? 1 : 0);
    }

    /** Whether a queue of this node runs under a share of its limit, which the limit shares' keeper renews. */
    private static boolean sharesLimits(Config config) {
        return config.flows().entrySet().stream()
                .anyMatch(flow -> LimitShare.covers(flow.getValue()) && config.queues().containsKey(flow.getKey()));
    }

    /** Refuses to start on a pool too small for this node, when the pool tells its size. */
    private void requirePoolSize() {
        int needed = connectionsNeeded(config);
        String why = config.queues().isEmpty()
                ? "the leader session holds one for the node's life, and the heartbeat, the cron firer and the "
                        + "leader's chores share one more"
                : "the notification listener and the leader session hold one each for the node's life, the "
                        + "completer, the lease keeper and each queue's fetcher (" + config.queues().size()
                        + " queues) borrow one often" + (sharesLimits(config) ? ", as does the keeper of the shares of "
                        + "queue limits" : "") + ", and the heartbeat, the cron firer and the leader's chores share one "
                        + "more";
        OptionalInt size = pool.maximumSize();
        if (size.isEmpty()) {
            log.info("pgjobs cannot read the size of the connection pool ({}); it needs at least {} connections for "
                    + "this configuration ({}), plus what handlers and the application take at once",
                    config.dataSource().getClass().getName(), needed, why);
        } else if (size.getAsInt() < needed) {
            throw new IllegalStateException("the connection pool allows " + size.getAsInt() + " connections, but "
                    + "pgjobs needs at least " + needed + " for this configuration (" + why + "), plus what "
                    + "handlers and the application take at once: enlarge the pool (docs/guide.md, \"Connections\")");
        }
    }

    /**
     * Runs job {@code jobId} in the caller's thread and answers its attempt as written (see {@link InlineRunner});
     * the node may be started or not, but not stopped.
     */
    public JobAttempt runJob(long jobId) {
        if (state == State.STOPPED) {
            throw new IllegalStateException("this scheduler was closed; build a new one to run a job");
        }
        return inline.run(jobId);
    }

    public boolean isLeader() {
        return cluster.isLeader();
    }

    /** This node's heartbeat as its loops show it, for health checks. */
    public NodeHeartbeat heartbeat() {
        return LoopHeartbeat.of(config, () -> state, this::loops);
    }

    /** The loops of a started node that run on every node, for the node's health check. */
    List<BackgroundLoop> loops() {
        List<BackgroundLoop> loops = new ArrayList<>(fetchers.values());
        loops.add(completer);
        loops.add(leaseKeeper);
        if (shareKeeper != null) {
            loops.add(shareKeeper);
        }
        if (!fetchers.isEmpty()) {
            loops.add(listener);
        }
        loops.addAll(cluster.loops());
        // it only fires on the leader, but runs a round every poll interval on every node
        loops.add(cronFirer);
        return loops;
    }

    /**
     * A notification's payload: {@code q:<queue>}, {@code c:<job id>}, {@code s:} (see NotificationStore) or
     * {@code w:<saga id>:<state>} (V28's move_saga; every node hears it, the leader reports it).
     */
    private void onNotification(String payload) {
        if (payload.startsWith("q:")) {
            wakeFetcher(payload.substring(2));
        } else if (payload.startsWith("c:")) {
            workers.stop(Long.parseLong(payload.substring(2)), StopReason.CANCELLED);
        } else if (payload.startsWith("s:")) {
            cronFirer.wake();
        } else if (payload.startsWith("w:") && cluster.isLeader()) {
            String[] saga = payload.split(":");
            telemetry.sagaChanged(Long.parseLong(saga[1]),
                    WorkflowStatus.SagaState.valueOf(saga[2].toUpperCase(Locale.ROOT)));
        }
    }

    private void wakeFetcher(String queue) {
        QueueFetcher fetcher = fetchers.get(queue);
        if (fetcher != null) {
            fetcher.wake();
        }
    }

    private void wakeCronFirer() {
        cronFirer.wake();
    }

    /**
     * The listener (re)connected: what was notified while it did not listen is lost, so every loop a notification
     * would have woken looks now. That includes the lease keeper, whose renewal reads the cancel requests of the
     * jobs this node holds: a job cancelled between its claim and the listener's first LISTEN (or while it
     * reconnected) would otherwise run on until the next renewal, a third of a lease later.
     */
    private void wakeAll() {
        fetchers.values().forEach(BackgroundLoop::wake);
        cronFirer.wake();
        leaseKeeper.wake();
    }
}
