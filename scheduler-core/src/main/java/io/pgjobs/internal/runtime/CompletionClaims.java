package io.pgjobs.internal.runtime;

import io.pgjobs.JobState;
import io.pgjobs.internal.store.ExecutionStore.AfterCompletions;
import io.pgjobs.internal.store.FlowStore;
import io.pgjobs.internal.store.FlowStore.FlowClaim;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * What one completion transaction of the {@link Completer} does for the queues with flow control among the jobs
 * it finished, before it commits (docs/flow-control.md, "Claims in the completion's transaction"): the queues'
 * wake-up for the other nodes, and for each queue with cluster-wide limits or ordered keys a flow claim of as many
 * jobs as the queue's fetcher has free slots (under a queue limit, up to this node's share of it:
 * {@link QueueFetcher#reserveSlots}). A limited queue's slots come free only when a job's end commits,
 * so a claim of its own after the completion's commit waits for that commit's flush, a wake-up and a flush of its
 * own; here the freed slots are taken again in the transaction that frees them, and the claimed jobs start when
 * it commits. Both commit together or not at all: a rollback leaves the jobs and the counts of running jobs as
 * they were, and the claimed jobs are never started ({@link #cancel}).
 *
 * <p>The claims take the queues' advisory locks (in the order of the queues' names, so that two completions never
 * wait for each other's) after the completion statement has locked its rows and the counts' "left" rows; the
 * claims themselves only ever add to "entered" rows, so no transaction can hold a lock they wait for while it
 * waits for theirs. One instance serves one transaction.
 */
final class CompletionClaims implements AfterCompletions<CompletionClaims> {
    /** A claim made in the transaction: the fetcher it is for, the slots reserved for it, the jobs it took. */
    private record Made(QueueFetcher fetcher, int reserved, FlowClaim claim) {}

    private final Map<Long, String> queueOfJob;
    private final Function<String, QueueFetcher> fetchers;
    private final FlowStore flowStore;
    private final Duration nodeDeadAfter;
    /** Slots reserved in the transaction not yet turned into a claim (a claim that failed); null: none. */
    private QueueFetcher reservingFor;
    private int reservedNow;
    private final List<Made> made = new ArrayList<>();

    /**
     * {@code queueOfJob}: the queue with flow control of each job whose completion the transaction writes;
     * {@code nodeDeadAfter}: how long a node may miss its heartbeat before it no longer counts as working a queue
     * (for the nodes' shares of a queue limit, {@link QueueFetcher#reserveSlots}).
     */
    CompletionClaims(Map<Long, String> queueOfJob, Function<String, QueueFetcher> fetchers, FlowStore flowStore,
                     Duration nodeDeadAfter) {
        this.queueOfJob = queueOfJob;
        this.fetchers = fetchers;
        this.flowStore = flowStore;
        this.nodeDeadAfter = nodeDeadAfter;
    }

    @Override
    public CompletionClaims run(Connection transaction, Map<Long, JobState> written, long transactionNanos)
            throws SQLException {
        Set<String> freed = new TreeSet<>();
        written.keySet().forEach(id -> {
            String queue = queueOfJob.get(id);
            if (queue != null) {
                freed.add(queue);
            }
        });
        if (freed.isEmpty()) {
            return this;
        }
        Map<String, Integer> liveNodes = flowStore.wakeQueuesCountingNodes(transaction, freed, nodeDeadAfter);
        for (String queue : freed) {
            QueueFetcher fetcher = fetchers.apply(queue);
            int reserved = fetcher == null ? 0 : fetcher.reserveSlots(liveNodes.getOrDefault(queue, 1));
            if (reserved > 0) {
                reservingFor = fetcher;
                reservedNow = reserved;
                made.add(new Made(fetcher, reserved, fetcher.claimIn(transaction, transactionNanos, reserved)));
                reservingFor = null;
            }
        }
        return this;
    }

    /** The transaction committed: the claimed jobs start, the slots they did not take are free again. */
    void start() {
        made.forEach(m -> m.fetcher().startClaimed(m.claim(), m.reserved()));
        made.clear();
    }

    /** The claims were rolled back (or their transaction failed): every slot reserved for them is free again. */
    void cancel() {
        made.forEach(m -> m.fetcher().unreserve(m.reserved()));
        made.clear();
        if (reservingFor != null) {
            reservingFor.unreserve(reservedNow);
            reservingFor = null;
        }
    }
}
