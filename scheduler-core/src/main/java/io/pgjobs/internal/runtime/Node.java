package io.pgjobs.internal.runtime;

import io.pgjobs.internal.cluster.Cluster;
import io.pgjobs.internal.config.Config;
import io.pgjobs.internal.cron.ScheduleFirer;
import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.observe.NodeHeartbeat;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.runtime.JobExecution.StopReason;
import io.pgjobs.internal.store.Stores;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    /** Where the node is in its life; it never goes back. */
    enum State { NEW, STARTED, STOPPED }

    private final Config config;
    private final Telemetry telemetry;
    private final Map<String, QueueFetcher> fetchers = new LinkedHashMap<>();
    private final Workers workers;
    private final Completer completer;
    private final LeaseKeeper leaseKeeper;
    private final NotificationListener listener;
    private final ScheduleFirer cronFirer;
    private final Cluster cluster;
    private final Object lifecycle = new Object();
    /** Written under {@link #lifecycle}; volatile so that health checks read it without waiting for a stop. */
    private volatile State state = State.NEW;

    public Node(Config config, Stores stores, Telemetry telemetry) {
        this.config = config;
        this.telemetry = telemetry;
        HeldJobs held = new HeldJobs();
        CircuitBreakers circuits = new CircuitBreakers(config.circuitBreakers(), stores.circuits(), telemetry,
                config.leaseDuration().toMillis());
        this.completer = new Completer(stores.executions(), config.nodeId(), held, telemetry, config.flows().keySet(),
                stores.flow(), circuits);
        this.workers = new Workers(config, telemetry, stores.executions(), held, completer);
        // kinds with a circuit breaker are claimed apart, while their circuit is closed (see QueueFetcher)
        List<String> kinds = config.handlers().keySet().stream()
                .filter(kind -> !config.circuitBreakers().containsKey(kind)).toList();
        config.queues().forEach((queue, concurrency) -> fetchers.put(queue, new QueueFetcher(queue, concurrency,
                config.flows().get(queue), kinds, stores.executions(), stores.flow(), circuits, config.nodeId(),
                config.leaseDuration(), config.pollInterval(), completer::behind, workers)));
        this.leaseKeeper = new LeaseKeeper(stores.executions(), config.nodeId(), config.leaseDuration(), held, workers);
        this.listener = new NotificationListener(stores.notifications(), this::onNotification, this::wakeAllFetchers);
        this.cluster = new Cluster(config, stores.nodes(), stores.maintenance(), telemetry);
        // Only the leader fires. Firing stays exactly once without leadership too (see ScheduleFirer); the
        // leader check only spares the other nodes the work.
        this.cronFirer = new ScheduleFirer(stores.schedules(), stores.jobWriter(), config.pollInterval(),
                cluster::isLeader, telemetry);
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
            workers.start();
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
            workers.drain(config.shutdownDeadline().toMillis());
            listener.stop();
            completer.stop();
            leaseKeeper.stop();
            cluster.stopHeartbeat();
            workers.shutdown();
            log.info("pgjobs node {} stopped", config.nodeId());
        }
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
        if (!fetchers.isEmpty()) {
            loops.add(listener);
        }
        loops.addAll(cluster.loops());
        // it only fires on the leader, but runs a round every poll interval on every node
        loops.add(cronFirer);
        return loops;
    }

    /** A notification's payload: {@code q:<queue>}, {@code c:<job id>} or {@code s:} (see NotificationStore). */
    private void onNotification(String payload) {
        if (payload.startsWith("q:")) {
            QueueFetcher fetcher = fetchers.get(payload.substring(2));
            if (fetcher != null) {
                fetcher.wake();
            }
        } else if (payload.startsWith("c:")) {
            workers.stop(Long.parseLong(payload.substring(2)), StopReason.CANCELLED);
        } else if (payload.startsWith("s:")) {
            cronFirer.wake();
        }
    }

    private void wakeAllFetchers() {
        fetchers.values().forEach(BackgroundLoop::wake);
    }
}
