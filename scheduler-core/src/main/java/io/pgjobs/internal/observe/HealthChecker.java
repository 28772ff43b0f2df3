package io.pgjobs.internal.observe;

import io.pgjobs.Health;
import io.pgjobs.Health.Check;
import io.pgjobs.Health.Status;
import io.pgjobs.admin.CircuitInfo;
import io.pgjobs.internal.store.CircuitStore;
import io.pgjobs.internal.store.ObservationStore;
import io.pgjobs.internal.store.QueueStat;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers {@code Scheduler.health()}: the node's heartbeat, the database, the leader, each queue's lag against
 * the threshold, and the dead-letter count's growth since the previous check. Every query is small and has a
 * timeout, so a probe never hangs on a sick database for long.
 */
public final class HealthChecker {
    private static final int PING_TIMEOUT_SECONDS = 2;

    /** The kinds with a circuit breaker on this node, and where their circuits are read. */
    private final List<String> circuitKinds;
    private final CircuitStore circuits;
    private final ObservationStore store;
    private final NodeHeartbeat heartbeat;
    private final List<String> queues;
    private final Duration lagThreshold;
    /** A leader whose heartbeat is older than this is dead, as the cluster counts it. */
    private final Duration nodeDeadAfter;
    /** The database time of the previous dead-letter count; null until the first check sets the baseline. */
    private Instant deadLettersCountedAt;

    public HealthChecker(ObservationStore store, CircuitStore circuits, NodeHeartbeat heartbeat, List<String> queues,
                         Duration lagThreshold, Duration nodeDeadAfter, List<String> circuitKinds) {
        this.store = store;
        this.circuits = circuits;
        this.circuitKinds = List.copyOf(circuitKinds);
        this.heartbeat = heartbeat;
        this.queues = List.copyOf(queues);
        this.lagThreshold = lagThreshold;
        this.nodeDeadAfter = nodeDeadAfter;
    }

    public synchronized Health check() {
        List<Check> checks = new ArrayList<>();
        checks.add(heartbeat.check());
        try {
            store.ping(PING_TIMEOUT_SECONDS);
            checks.add(new Check("database", Status.UP, "select 1 answered"));
        } catch (SQLException e) {
            checks.add(new Check("database", Status.DOWN, "unreachable: " + e.getMessage()));
            return Health.of(checks);
        }
        checks.add(leader());
        checks.addAll(queueLags());
        checks.add(deadLetters());
        if (!circuitKinds.isEmpty()) {
            checks.add(circuits());
        }
        return Health.of(checks);
    }

    /** DEGRADED while a circuit of this node's kinds is open or probing: those jobs wait. */
    private Check circuits() {
        try {
            List<CircuitInfo> notClosed = circuits.notClosed(circuitKinds);
            if (notClosed.isEmpty()) {
                return new Check("circuits", Status.UP, "all closed: " + String.join(", ", circuitKinds));
            }
            List<String> details = new ArrayList<>();
            for (CircuitInfo circuit : notClosed) {
                details.add(circuit.kind() + " " + circuit.state()
                        + (circuit.state().equals("open") ? " until " + circuit.retryAt() : " (probe job "
                        + circuit.probeJobId() + ")") + (circuit.reason() == null ? "" : ": " + circuit.reason()));
            }
            return new Check("circuits", Status.DEGRADED, String.join("; ", details));
        } catch (SQLException e) {
            return couldNotCheck("circuits", e);
        }
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
            ObservationStore.DeadLetters found = store.deadLettersSince(deadLettersCountedAt);
            boolean baseline = deadLettersCountedAt == null;
            deadLettersCountedAt = found.now();
            if (baseline) {
                return new Check("dead_letters", Status.UP, "baseline set; growth is reported from the next check");
            }
            return found.discarded() == 0 ? new Check("dead_letters", Status.UP, "no job discarded since the last check")
                    : new Check("dead_letters", Status.DEGRADED, found.discarded() + " jobs discarded since the last check");
        } catch (SQLException e) {
            return couldNotCheck("dead_letters", e);
        }
    }

    private static Check couldNotCheck(String name, SQLException e) {
        return new Check(name, Status.DEGRADED, "could not check: " + e.getMessage());
    }
}
