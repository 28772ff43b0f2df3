package io.pgjobs.internal.cluster;

import io.pgjobs.internal.config.Config;
import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.MaintenanceStore;
import io.pgjobs.internal.store.NodeStore;
import io.pgjobs.internal.store.NodeStore.NodeInfo;
import java.time.Duration;
import java.util.List;

/**
 * This node's part in the cluster: its heartbeat, the leader election, and the maintenance chores it runs while
 * it leads. The runtime starts it after the completer and stops it in two steps: {@link #stopLeading()} early
 * (so another node can take over while this one drains), {@link #stopHeartbeat()} last.
 */
public final class Cluster {
    /** How often retention and dead-node cleanup look for work. */
    static final Duration CHORE_INTERVAL = Duration.ofMinutes(1);
    /** How often the leader samples queue lag: several times a minute, so that every minute of the chart has one. */
    static final Duration LAG_SAMPLE_INTERVAL = Duration.ofSeconds(15);
    /** The longest one maintenance statement may run before it is cancelled and its batch halved. */
    static final Duration QUERY_TIMEOUT = Duration.ofSeconds(10);

    private final Heartbeat heartbeat;
    private final LeaderElector leader;
    private final List<LeaderChore> chores;

    /**
     * {@code telemetry} hears of this node joining, its leadership changes, lost nodes and rescued jobs;
     * {@code onElected} runs when this node becomes the leader, after its chores were woken.
     */
    public Cluster(Config config, NodeStore nodes, MaintenanceStore maintenance, Telemetry telemetry,
                   Runnable onElected) {
        Duration beat = config.nodeDeadAfter().dividedBy(6);
        this.leader = new LeaderElector(nodes, config.nodeId(), beat, config.nodeDeadAfter(), telemetry, () -> {
            wakeChores();
            onElected.run();
        });
        this.heartbeat = new Heartbeat(nodes, new NodeInfo(config.nodeId(), Config.localHostName(),
                ProcessHandle.current().pid(), version(), List.copyOf(config.queues().keySet()),
                List.copyOf(config.handlers().keySet()), config.queues(), config.flows()), leader, beat, telemetry);
        this.chores = List.of(
                new LeaseRescuer(maintenance, leader, config.leaseDuration().dividedBy(2), QUERY_TIMEOUT, telemetry),
                new RetentionCleaner(maintenance, leader, CHORE_INTERVAL, QUERY_TIMEOUT,
                        config.completedRetention(), config.failedRetention()),
                new DeadNodeCleaner(maintenance, leader, CHORE_INTERVAL, QUERY_TIMEOUT, telemetry),
                new QueueLagSampler(maintenance, leader, LAG_SAMPLE_INTERVAL, QUERY_TIMEOUT),
                new JobsVacuum(maintenance, leader, JobsVacuum.DEAD_ROWS));
    }

    public void start() {
        heartbeat.start();
        leader.start();
        chores.forEach(BackgroundLoop::start);
    }

    /**
     * Stops the chores, then gives up leadership (releasing the lock at once, not when the node exits), each by
     * {@code deadlineNanos} (see {@link BackgroundLoop#stopBy}).
     */
    public void stopLeading(long deadlineNanos) {
        BackgroundLoop.stopAll(chores, deadlineNanos);
        leader.stopBy(deadlineNanos);
    }

    /** Stops heartbeating and marks this node's row stopped, by {@code deadlineNanos}. */
    public void stopHeartbeat(long deadlineNanos) {
        heartbeat.stopBy(deadlineNanos);
    }

    /**
     * The loops that run rounds on every node, leader or not, every {@code nodeDeadAfter / 6}: the node's health
     * check watches them. The chores are left out: they only work on the leader, and retention and dead-node
     * cleanup wait a minute between rounds, longer than the node check allows a healthy loop to be quiet.
     */
    public List<BackgroundLoop> loops() {
        return List.of(heartbeat, leader);
    }

    public boolean isLeader() {
        return leader.isLeader();
    }

    /** A new leader runs its chores at once instead of waiting out their intervals. */
    private void wakeChores() {
        chores.forEach(BackgroundLoop::wake);
    }

    private static String version() {
        String version = Cluster.class.getPackage().getImplementationVersion();
        return version != null ? version : "dev";
    }
}
