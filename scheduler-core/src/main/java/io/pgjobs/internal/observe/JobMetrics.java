package io.pgjobs.internal.observe;

import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.admin.UnhandledKind;
import io.pgjobs.internal.store.QueueStat;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * The metrics pgjobs records. {@link #NONE} when no Micrometer registry is configured, so the hot path pays
 * nothing and Micrometer's classes are never loaded; {@link MicrometerJobMetrics} otherwise. Names and tags are
 * listed in docs/observability.md.
 */
interface JobMetrics {
    void enqueued(String queue, String kind);

    void started(String queue, String kind, long queueWaitMs);

    /** An attempt's outcome was written; {@code handlerNanos} is how long its handler ran (0 if it never ended). */
    void attemptEnded(String queue, String kind, Outcome outcome, long handlerNanos);

    void completed(String queue, String kind);

    void failed(String queue, String kind);

    void retried(String queue, String kind);

    void discarded(String queue, String kind);

    void cancelled(String queue, String kind);

    void rescued(String queue, String kind, int count);

    /** A claimed job's args did not match the checksum stored at its insert (it is discarded without running). */
    void argsChecksumMismatch(String queue, String kind);

    void eventDropped();

    /** An enqueue of {@code jobs} jobs was refused: their queue was at its maximum depth. */
    void enqueueRejected(String queue, int jobs);

    /** An enqueue counted {@code depth} jobs waiting in a queue whose maximum is {@code maxDepth}. */
    void queueDepthChecked(String queue, long depth, int maxDepth);

    /** A kind's circuit breaker moved to {@code state} (closed, open, half_open) on this node's doing. */
    void circuitChanged(String kind, String state);

    /**
     * One partition's circuit of a kind moved to {@code state} on this node's doing; counted per kind, not per
     * partition (a kind may have a partition per customer: too many series).
     */
    void partitionCircuitChanged(String kind, String state);

    /** A saga moved to {@code state}, as the leader heard it (one count per move, cluster-wide). */
    void sagaChanged(WorkflowStatus.SagaState state);

    /**
     * Gauges of one queue: its jobs running on this node, free slots, jobs claimed ahead and not yet started, and
     * the sampled depth and lag (NaN until sampled).
     */
    void bindQueue(String queue, int concurrency, IntSupplier running, IntSupplier buffered);

    void queueStats(List<QueueStat> stats);

    /**
     * Gauge and counter of a queue's busy polls on this node (docs/architecture.md, "The wake-up"): whether its
     * fetcher polls it on its own now, and how many times it turned busy.
     */
    void bindBusyPolls(String queue, BooleanSupplier pollsOnItsOwn, LongSupplier turnedBusy);

    /**
     * Gauge and counters of this node's share of a queue's limit (docs/flow-control.md, "Shares of a queue
     * limit"): the slots it holds, and how many times it changed, by {@link #SHARE_CHANGES}.
     */
    void bindLimitShare(String queue, IntSupplier slots, ToLongFunction<String> changes);

    /** The changes of a limit share that are counted: renewals that grew or shrank it, expiries, releases. */
    List<String> SHARE_CHANGES = List.of("grown", "shrunk", "expired", "released");

    void leader(boolean leader);

    /** The due jobs no live node handles, per queue and kind, as last counted (groups missing from it: none). */
    void unhandled(List<UnhandledKind> unhandled);

    /** Whether anything is recorded (the queue statistics are only sampled then). */
    boolean enabled();

    JobMetrics NONE = new JobMetrics() {
        @Override public void enqueued(String queue, String kind) {}
        @Override public void started(String queue, String kind, long queueWaitMs) {}
        @Override public void attemptEnded(String queue, String kind, Outcome outcome, long handlerNanos) {}
        @Override public void completed(String queue, String kind) {}
        @Override public void failed(String queue, String kind) {}
        @Override public void retried(String queue, String kind) {}
        @Override public void discarded(String queue, String kind) {}
        @Override public void cancelled(String queue, String kind) {}
        @Override public void rescued(String queue, String kind, int count) {}
        @Override public void argsChecksumMismatch(String queue, String kind) {}
        @Override public void eventDropped() {}
        @Override public void enqueueRejected(String queue, int jobs) {}
        @Override public void queueDepthChecked(String queue, long depth, int maxDepth) {}
        @Override public void circuitChanged(String kind, String state) {}
        @Override public void partitionCircuitChanged(String kind, String state) {}
        @Override public void sagaChanged(WorkflowStatus.SagaState state) {}
        @Override public void bindQueue(String queue, int concurrency, IntSupplier running, IntSupplier buffered) {}
        @Override public void queueStats(List<QueueStat> stats) {}
        @Override public void bindBusyPolls(String queue, BooleanSupplier pollsOnItsOwn, LongSupplier turnedBusy) {}
        @Override public void bindLimitShare(String queue, IntSupplier slots, ToLongFunction<String> changes) {}
        @Override public void leader(boolean leader) {}
        @Override public void unhandled(List<UnhandledKind> unhandled) {}
        @Override public boolean enabled() { return false; }
    };
}
