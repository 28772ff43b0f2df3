package io.pgjobs.internal.runtime;

import io.pgjobs.JobState;
import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.ClaimedJob;
import io.pgjobs.internal.store.Completion;
import io.pgjobs.internal.store.ExecutionStore;
import io.pgjobs.internal.store.FlowStore;
import io.pgjobs.internal.store.Sql;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Writes finished attempts in batches: one statement updates many jobs and inserts their attempt rows. It
 * flushes as soon as anything is waiting; completions that arrive during a flush go into the next one, so
 * batches grow with load and latency stays a single round trip when idle. A job is only acknowledged after its
 * handler returned, and its lease keeps being renewed until its completion is written. If the database is
 * unreachable, completions are kept and written when it is back. While a full batch is waiting to be written,
 * the fetchers stop claiming ({@link #behind()}). Once written, an attempt is no longer held, and its end is
 * reported to {@link Telemetry}. The claimers of queues with flow control whose jobs ended are woken (their
 * claims may take more now: see {@link QueueFetcher}): on every node by the queues' notification, sent in the
 * completion's own transaction (so it goes out exactly when the ends commit, and costs no commit of its own), and
 * on this node directly once it committed, without waiting for that notification to come back through the
 * listener. Then the outcomes of kinds with circuit breakers are recorded ({@link CircuitBreakers#record}); a
 * failure there loses only those outcomes in the breakers' counts.
 *
 * <p>A statement cut off by its timeout is written again in halves (and the statements grow back as they
 * succeed), so a batch too big to write in time never fails over and over. While a statement is written, the
 * lease keeper leaves its jobs to it, and a failed one renews their leases before it lets go of their rows
 * ({@link HeldJobs}, {@link ExecutionStore#complete}).
 */
final class Completer extends BackgroundLoop {
    static final int MAX_BATCH = 5_000;

    /** An attempt that ended, with what its end is reported with once written. */
    private record Finished(ClaimedJob job, Completion completion, long handlerNanos) {}

    /** An attempt whose completion was written and applied. */
    record Written(ClaimedJob job, Completion completion) {}

    private final ExecutionStore store;
    private final String nodeId;
    private final Duration lease;
    private final HeldJobs held;
    private final Telemetry telemetry;
    /** The queues of this node with flow control, whose claimers wait for jobs to end. */
    private final Set<String> flowQueues;
    private final FlowStore flowStore;
    /** Wakes this node's claimer of a queue. */
    private final Consumer<String> wakeClaimer;
    private final CircuitBreakers circuits;
    private final ConcurrentLinkedQueue<Finished> waiting = new ConcurrentLinkedQueue<>();
    private final List<Finished> batch = new ArrayList<>();
    /** Completions submitted and not yet written. */
    private final AtomicInteger unwritten = new AtomicInteger();
    /** At most how many completions of the batch the next statement writes (see the class comment). */
    private int statementSize = MAX_BATCH;

    Completer(ExecutionStore store, String nodeId, Duration lease, HeldJobs held, Telemetry telemetry,
              Set<String> flowQueues, FlowStore flowStore, Consumer<String> wakeClaimer, CircuitBreakers circuits) {
        super("pgjobs-completer");
        this.store = store;
        this.nodeId = nodeId;
        this.lease = lease;
        this.held = held;
        this.telemetry = telemetry;
        this.flowQueues = Set.copyOf(flowQueues);
        this.flowStore = flowStore;
        this.wakeClaimer = wakeClaimer;
        this.circuits = circuits;
    }

    /**
     * Queues the completion of {@code job}'s attempt ({@code handlerNanos}: how long its handler ran), freeing its
     * slot with {@code freeSlot} in between. It is counted as unwritten before its slot is free, so that
     * {@link #behind()} never misses a job whose slot already took the next one (a claim in that gap held more
     * than a full batch, the slots and the buffer). It is queued after, so that no wake-up for its written end
     * (a flow-controlled queue's) comes before its slot is free.
     */
    void submit(ClaimedJob job, Completion completion, long handlerNanos, Runnable freeSlot) {
        unwritten.incrementAndGet();
        freeSlot.run();
        waiting.add(new Finished(job, completion, handlerNanos));
        wake();
    }

    /**
     * Whether a full batch of completions is waiting to be written. Handlers free their slots before their
     * completions are written, so without this a node whose database falls behind keeps claiming: it holds ever
     * more unwritten completions, whose leases the lease keeper renews in ever longer statements, and finishes
     * far fewer jobs (docs/performance.md, "Backpressure from the database").
     */
    boolean behind() {
        return unwritten.get() >= MAX_BATCH;
    }

    @Override
    protected Duration runOnce() throws Exception {
        flush();
        return waiting.isEmpty() && batch.isEmpty() ? Duration.ofSeconds(1) : Duration.ZERO;
    }

    /** Writes (the next part of) the batch in hand, kept after a failure, or else the next one from the queue. */
    private void flush() throws Exception {
        if (batch.isEmpty()) {
            Finished next;
            while (batch.size() < MAX_BATCH && (next = waiting.poll()) != null) {
                batch.add(next);
            }
        }
        if (batch.isEmpty()) {
            return;
        }
        List<Finished> writing = batch.subList(0, Math.min(statementSize, batch.size()));
        Set<String> freed = new HashSet<>();
        Map<Long, JobState> written = write(writing, freed);
        List<Written> applied = new ArrayList<>(writing.size());
        for (Finished finished : writing) {
            Completion completion = finished.completion();
            JobState state = written.get(completion.jobId()); // null: no longer applied (taken from this node)
            if (held.release(completion.jobId(), completion.attempt()) && state != null) {
                telemetry.attemptWritten(finished.job(), completion, state, finished.handlerNanos());
                applied.add(new Written(finished.job(), completion));
            }
        }
        unwritten.addAndGet(-writing.size());
        writing.clear();
        statementSize = Math.min(MAX_BATCH, statementSize * 2);
        freed.forEach(wakeClaimer);
        if (circuits.any()) {
            circuits.record(applied);
        }
    }

    /** Writes the completions and, in their transaction, wakes the flow-controlled queues they free: {@code freed}. */
    private Map<Long, JobState> write(List<Finished> writing, Set<String> freed) throws SQLException {
        // plain loops rather than streams: this runs for every batch from a node's first jobs on, and a stream
        // brings a pipeline of classes and methods to interpret and compile
        List<Completion> completions = new ArrayList<>(writing.size());
        List<Long> jobIds = new ArrayList<>(writing.size());
        for (Finished finished : writing) {
            completions.add(finished.completion());
            jobIds.add(finished.completion().jobId());
        }
        held.completing(jobIds);
        try {
            return store.complete(completions, nodeId, lease,
                    (connection, written) -> {
                        for (Finished finished : writing) {
                            String queue = finished.job().queue();
                            if (flowQueues.contains(queue) && written.containsKey(finished.completion().jobId())) {
                                freed.add(queue);
                            }
                        }
                        if (!freed.isEmpty()) {
                            flowStore.wakeQueues(connection, freed);
                        }
                    });
        } catch (SQLException e) {
            if (Sql.isStatementTimeout(e)) {
                statementSize = Math.max(1, writing.size() / 2);
            }
            throw e;
        } finally {
            held.completed(jobIds);
        }
    }

    /** Writes what is still pending, retrying until the stop's deadline (see {@code Node.stop}). */
    @Override
    protected void afterLastRound() {
        while (!(batch.isEmpty() && waiting.isEmpty())) {
            try {
                flush();
            } catch (Exception e) {
                if (System.nanoTime() - stopDeadlineNanos() > 0 || !pauseBeforeRetry()) {
                    log.error("could not write {} completions before stopping; their jobs stay running until their "
                            + "leases expire and the rescuer runs them again", batch.size() + waiting.size(), e);
                    return;
                }
                log.warn("writing completions failed while stopping, trying again: {}", e.toString());
            }
        }
    }

    /** False when interrupted: the stop's deadline passed while the completer waited (for a connection, say). */
    private static boolean pauseBeforeRetry() {
        try {
            Thread.sleep(200);
            return true;
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
