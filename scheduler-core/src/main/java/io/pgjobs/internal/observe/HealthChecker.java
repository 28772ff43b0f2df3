package io.pgjobs.internal.observe;

import io.pgjobs.Health;
import io.pgjobs.Health.Check;
import io.pgjobs.Health.Status;
import io.pgjobs.internal.store.ObservationStore;
import io.pgjobs.internal.store.QueueStat;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers {@code Scheduler.health()}: the node's heartbeat, the database, the leader, each queue's lag against
 * the threshold, and the jobs discarded in the last {@link #DEAD_LETTER_WINDOW}. Every query is small and has a
 * timeout, so a probe never hangs on a sick database for long. A check only reads: whoever calls it (an anonymous
 * probe, the dashboard, the host's code), every caller sees the same answer.
 */
public final class HealthChecker {
    private static final int PING_TIMEOUT_SECONDS = 2;
    /**
     * How far back discarded jobs make the check DEGRADED. A fixed window rather than "since the previous check",
     * which any caller would reset and so hide new dead letters from the others.
     */
    static final Duration DEAD_LETTER_WINDOW = Duration.ofMinutes(5);

    private final ObservationStore store;
    private final NodeHeartbeat heartbeat;
    private final List<String> queues;
    private final Duration lagThreshold;
    /** A leader whose heartbeat is older than this is dead, as the cluster counts it. */
    private final Duration nodeDeadAfter;

    public HealthChecker(ObservationStore store, NodeHeartbeat heartbeat, List<String> queues, Duration lagThreshold,
                         Duration nodeDeadAfter) {
        this.store = store;
        this.heartbeat = heartbeat;
        this.queues = List.copyOf(queues);
        this.lagThreshold = lagThreshold;
        this.nodeDeadAfter = nodeDeadAfter;
    }

    public Health check() {
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
        return Health.of(checks);
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
