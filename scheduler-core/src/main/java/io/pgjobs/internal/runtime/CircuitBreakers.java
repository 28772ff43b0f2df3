package io.pgjobs.internal.runtime;

import io.pgjobs.CircuitBreaker;
import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.PartitionKey;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.CircuitStore;
import io.pgjobs.internal.store.ClaimedJob;
import io.pgjobs.internal.store.FlowStore;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * This node's side of the circuit breakers of its kinds (docs/flow-control.md): it records the outcomes of their
 * attempts after the completer wrote them, and takes the probe of an open circuit whose cool-down is over. The
 * state is the database's ({@link CircuitStore}); the claims leave out kinds whose circuit is not closed. Kinds
 * whose breaker has a circuit per partition are claimed by the flow claim, which asks each job's partition's
 * circuit and takes the partitions' probes itself; this class records their outcomes per partition and reports
 * the probes those claims took.
 */
final class CircuitBreakers {
    /** Claims one job of a kind for a probe, or returns null when there is none. */
    @FunctionalInterface
    interface ProbeClaim {
        ClaimedJob claimOne(String kind) throws Exception;
    }

    /** One kind's outcomes in a written batch, in the order they were written. */
    private static final class Tally {
        int successes;
        int failures;
        int trailingFailures;
        final List<Long> jobIds = new ArrayList<>();
        final List<Boolean> failed = new ArrayList<>();

        void add(long jobId, boolean failure) {
            jobIds.add(jobId);
            failed.add(failure);
            if (failure) {
                failures++;
                trailingFailures++;
            } else {
                successes++;
                trailingFailures = 0;
            }
        }
    }

    /** One kind's ends in a written batch, for a circuit per partition: failed, succeeded, or neither (null). */
    private static final class Ends {
        final List<Long> jobIds = new ArrayList<>();
        final List<Boolean> failed = new ArrayList<>();
    }

    private final Map<String, CircuitBreaker> breakers;
    /** The kinds with one circuit for the kind, and those with a circuit per partition (found by the key). */
    private final List<String> kinds;
    private final Map<String, PartitionKey> partitionKeys = new LinkedHashMap<>();
    private final CircuitStore store;
    private final Telemetry telemetry;
    /** How long a half-open circuit whose probe is not running may wait for the probe's outcome. */
    private final long probeGraceMs;

    CircuitBreakers(Map<String, CircuitBreaker> breakers, CircuitStore store, Telemetry telemetry, long probeGraceMs) {
        this.breakers = breakers;
        breakers.forEach((kind, breaker) -> {
            if (breaker.partitionKey() != null) {
                partitionKeys.put(kind, breaker.partitionKey());
            }
        });
        this.kinds = breakers.keySet().stream().filter(kind -> !partitionKeys.containsKey(kind)).toList();
        this.store = store;
        this.telemetry = telemetry;
        this.probeGraceMs = probeGraceMs;
    }

    /** The kinds with one circuit breaker for the kind on this node, claimed only while their circuit is closed. */
    List<String> kinds() {
        return kinds;
    }

    /** The kinds with a circuit per partition on this node, and how each finds its partitions. */
    Map<String, PartitionKey> partitionKeys() {
        return partitionKeys;
    }

    /** Whether this node has a circuit breaker at all. */
    boolean any() {
        return !breakers.isEmpty();
    }

    /**
     * Records the outcomes of the attempts in {@code ended} whose kinds have a breaker: completed attempts are
     * successes, failed and timed-out ones failures; snoozed, cancelled and interrupted attempts say nothing
     * about the kind's health (a partition's probe that ends so gives its circuit back, due at once).
     */
    void record(List<Completer.Written> ended) throws SQLException {
        Map<String, Tally> tallies = new LinkedHashMap<>();
        Map<String, Ends> partitionEnds = new LinkedHashMap<>();
        for (Completer.Written end : ended) {
            Outcome outcome = end.completion().outcome();
            boolean failure = outcome == Outcome.FAILED || outcome == Outcome.TIMEOUT;
            String kind = end.job().kind();
            if (partitionKeys.containsKey(kind)) {
                Ends ends = partitionEnds.computeIfAbsent(kind, k -> new Ends());
                ends.jobIds.add(end.job().id());
                ends.failed.add(failure ? Boolean.TRUE : outcome == Outcome.COMPLETED ? Boolean.FALSE : null);
            } else if (breakers.containsKey(kind) && (failure || outcome == Outcome.COMPLETED)) {
                tallies.computeIfAbsent(kind, k -> new Tally()).add(end.job().id(), failure);
            }
        }
        for (Map.Entry<String, Ends> entry : partitionEnds.entrySet()) {
            String kind = entry.getKey();
            for (CircuitStore.PartitionChange change : store.recordPartitions(kind, partitionKeys.get(kind),
                    entry.getValue().jobIds, entry.getValue().failed, breakers.get(kind))) {
                telemetry.partitionCircuitChanged(kind, change.partition(), change.to(), change.reason(),
                        change.probeJobId());
            }
        }
        for (Map.Entry<String, Tally> entry : tallies.entrySet()) {
            Tally tally = entry.getValue();
            store.record(entry.getKey(), tally.successes, tally.failures, tally.trailingFailures, tally.jobIds,
                            tally.failed, breakers.get(entry.getKey()))
                    .ifPresent(change -> telemetry.circuitChanged(change.kind(), change.to(), change.reason(),
                            change.probeJobId()));
        }
    }

    /** Reports the probes of circuits per partition a flow claim of this node took (each now half-open). */
    void probesTaken(List<FlowStore.Probe> probes) {
        for (FlowStore.Probe probe : probes) {
            telemetry.partitionCircuitChanged(probe.kind(), probe.partition(), "half_open", null, probe.jobId());
        }
    }

    /**
     * Takes the probe of one of this node's circuits that is due, and claims its job with {@code claim}; returns
     * the job, or null when no probe is due here or the kind has no job to claim (the circuit stays open and due).
     */
    ClaimedJob probe(ProbeClaim claim) throws Exception {
        Optional<String> due = store.takeProbe(kinds, probeGraceMs);
        if (due.isEmpty()) {
            return null;
        }
        String kind = due.get();
        ClaimedJob job;
        try {
            job = claim.claimOne(kind);
        } catch (Exception e) {
            store.probeNotFound(kind);
            throw e;
        }
        if (job == null) {
            store.probeNotFound(kind);
            return null;
        }
        store.probeClaimed(kind, job.id());
        telemetry.circuitChanged(kind, "half_open", null, job.id());
        return job;
    }
}
