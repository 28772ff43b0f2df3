package io.pgjobs.internal.observe;

import io.pgjobs.Health;
import io.pgjobs.Health.Check;
import io.pgjobs.Health.Status;
import io.pgjobs.admin.UnhandledKind;
import io.pgjobs.internal.config.Pool;
import io.pgjobs.admin.CircuitInfo;
import io.pgjobs.admin.PartitionCircuitInfo;
import io.pgjobs.internal.store.CircuitStore;
import io.pgjobs.internal.store.ObservationStore;
import io.pgjobs.internal.store.QueueStat;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Answers {@code Scheduler.health()}: the node's heartbeat, the database, the leader, due jobs no live node
 * handles, each queue's lag against the threshold, and the jobs discarded in the last {@link #DEAD_LETTER_WINDOW}.
 * Every query is small and has a timeout, so a probe never hangs on a sick database for long. A check only reads:
 * whoever calls it (an anonymous probe, the dashboard, the host's code), every caller sees the same answer.
 */
public final class HealthChecker {
    private static final int PING_TIMEOUT_SECONDS = 2;
    /** How many partitions whose circuit is not closed the check names (a kind may have thousands). */
    private static final int NAMED_PARTITIONS = 5;
    /**
     * How far back discarded jobs make the check DEGRADED. A fixed window rather than "since the previous check",
     * which any caller would reset and so hide new dead letters from the others.
     */
    static final Duration DEAD_LETTER_WINDOW = Duration.ofMinutes(5);

    /** The kinds with a circuit breaker on this node, and where their circuits are read. */
    private final List<String> circuitKinds;
    private final CircuitStore circuits;
    private final ObservationStore store;
    private final NodeHeartbeat heartbeat;
    private final Pool pool;
    /** How many connections this node needs (see Node.connectionsNeeded), named when the pool is exhausted. */
    private final int connectionsNeeded;
    private final List<String> queues;
    private final Duration lagThreshold;
    /** A leader whose heartbeat is older than this is dead, as the cluster counts it. */
    private final Duration nodeDeadAfter;

    public HealthChecker(ObservationStore store, CircuitStore circuits, NodeHeartbeat heartbeat, Pool pool,
                         int connectionsNeeded, List<String> queues, Duration lagThreshold, Duration nodeDeadAfter,
                         List<String> circuitKinds) {
        this.store = store;
        this.circuits = circuits;
        this.circuitKinds = List.copyOf(circuitKinds);
        this.heartbeat = heartbeat;
        this.pool = pool;
        this.connectionsNeeded = connectionsNeeded;
        this.queues = List.copyOf(queues);
        this.lagThreshold = lagThreshold;
        this.nodeDeadAfter = nodeDeadAfter;
    }

    public Health check() {
        List<Check> checks = new ArrayList<>();
        checks.add(heartbeat.check());
        Check database = database();
        checks.add(database);
        if (database.status() != Status.UP) {
            return Health.of(checks);
        }
        checks.add(leader());
        checks.add(unhandledKinds());
        checks.addAll(queueLags());
        checks.add(deadLetters());
        if (!circuitKinds.isEmpty()) {
            checks.add(circuits());
        }
        return Health.of(checks);
    }

    /**
     * A {@code select 1}, waiting at most {@link #PING_TIMEOUT_SECONDS} for a connection and its answer together
     * (a pool can make a borrower wait far longer). When it fails, an exhausted pool is told apart from an
     * unreachable database.
     */
    private Check database() {
        FutureTask<Void> ping = new FutureTask<>(() -> {
            store.ping(PING_TIMEOUT_SECONDS);
            return null;
        });
        Thread.ofVirtual().name("pgjobs-health-ping").start(ping);
        String failure;
        try {
            ping.get(PING_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return new Check("database", Status.UP, "select 1 answered");
        } catch (ExecutionException e) {
            failure = "unreachable: " + e.getCause().getMessage();
        } catch (TimeoutException e) {
            failure = "no connection and answer within " + PING_TIMEOUT_SECONDS + " s";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "the check was interrupted";
        }
        // read before the ping is stopped: the ping is one of the threads waiting for a connection
        Optional<String> exhaustion = pool.exhaustion();
        ping.cancel(true);
        return exhaustion.map(exhausted -> new Check("database", Status.DOWN, "the connection pool is exhausted, "
                        + "not the database: " + exhausted + "; pgjobs alone needs " + connectionsNeeded
                        + " for this node (docs/guide.md, \"Connections\")"))
                .orElseGet(() -> new Check("database", Status.DOWN, failure));
    }

    /**
     * DEGRADED while a circuit of this node's kinds (one of a kind, or one of a kind's partitions) is open or
     * probing: those jobs wait. Partitions are named up to {@link #NAMED_PARTITIONS}, then counted.
     */
    private Check circuits() {
        try {
            List<CircuitInfo> notClosed = circuits.notClosed(circuitKinds);
            List<PartitionCircuitInfo> partitionsNotClosed = circuits.partitionCircuits(circuitKinds);
            if (notClosed.isEmpty() && partitionsNotClosed.isEmpty()) {
                return new Check("circuits", Status.UP, "all closed: " + String.join(", ", circuitKinds));
            }
            List<String> details = new ArrayList<>();
            for (CircuitInfo circuit : notClosed) {
                details.add(circuit.kind() + " " + describe(circuit.state(), circuit.retryAt(), circuit.probeJobId(),
                        circuit.reason()));
            }
            for (PartitionCircuitInfo circuit : partitionsNotClosed.subList(0,
                    Math.min(NAMED_PARTITIONS, partitionsNotClosed.size()))) {
                details.add(circuit.kind() + " partition '" + circuit.partition() + "' " + describe(circuit.state(),
                        circuit.retryAt(), circuit.probeJobId(), circuit.reason()));
            }
            if (partitionsNotClosed.size() > NAMED_PARTITIONS) {
                details.add((partitionsNotClosed.size() - NAMED_PARTITIONS) + " more partitions not closed");
            }
            return new Check("circuits", Status.DEGRADED, String.join("; ", details));
        } catch (SQLException e) {
            return couldNotCheck("circuits", e);
        }
    }

    private static String describe(String state, Instant retryAt, Long probeJobId, String reason) {
        return state + (state.equals("open") ? " until " + retryAt : " (probe job " + probeJobId + ")")
                + (reason == null ? "" : ": " + reason);
    }

    private Check leader() {
        try {
            int leaders = store.liveLeaders(nodeDeadAfter.toMillis());
            return leaders == 1 ? new Check("leader", Status.UP, "one live leader")
                    : new Check("leader", Status.DEGRADED, leaders + " live leaders (expected one)");
        } catch (SQLException e) {
            return couldNotCheck("leader", e);
        }
    }

    private Check unhandledKinds() {
        try {
            List<UnhandledKind> unhandled = store.unhandledKinds(nodeDeadAfter.toMillis());
            if (unhandled.isEmpty()) {
                return new Check("unhandled_kinds", Status.UP, "every due job has a live node for its queue and kind");
            }
            long jobs = unhandled.stream().mapToLong(UnhandledKind::jobs).sum();
            return new Check("unhandled_kinds", Status.DEGRADED, jobs + " due jobs wait for a handler no live node "
                    + "has: " + unhandled.stream().limit(5)
                            .map(u -> u.kind() + " in queue " + u.queue() + " (" + u.jobs() + ")")
                            .collect(Collectors.joining(", ")) + (unhandled.size() > 5 ? ", ..." : ""));
        } catch (SQLException e) {
            return couldNotCheck("unhandled_kinds", e);
        }
    }

    private List<Check> queueLags() {
        if (queues.isEmpty()) {
            return List.of();
        }
        try {
            List<Check> checks = new ArrayList<>(queues.size());
            for (QueueStat stat : store.queueStats(queues)) {
                Duration lag = Duration.ofMillis(stat.lagMs());
                String detail = "lag " + lag.toSeconds() + " s, " + stat.depth()
                        + (stat.depth() >= ObservationStore.DEPTH_CAP ? "+" : "") + " due jobs (threshold "
                        + lagThreshold.toSeconds() + " s)";
                checks.add(new Check("queue:" + stat.queue(),
                        lag.compareTo(lagThreshold) > 0 ? Status.DEGRADED : Status.UP, detail));
            }
            return checks;
        } catch (SQLException e) {
            return List.of(couldNotCheck("queues", e));
        }
    }

    private Check deadLetters() {
        try {
            long discarded = store.discardedWithin(DEAD_LETTER_WINDOW);
            String window = DEAD_LETTER_WINDOW.toMinutes() + " minutes";
            return discarded == 0 ? new Check("dead_letters", Status.UP, "no job discarded in the last " + window)
                    : new Check("dead_letters", Status.DEGRADED, discarded + " jobs discarded in the last " + window);
        } catch (SQLException e) {
            return couldNotCheck("dead_letters", e);
        }
    }

    private static Check couldNotCheck(String name, SQLException e) {
        return new Check(name, Status.DEGRADED, "could not check: " + e.getMessage());
    }
}
