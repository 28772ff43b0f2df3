package io.pgjobs.internal.runtime;

import io.pgjobs.JobState;
import io.pgjobs.internal.JobStore.Completion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes finished attempts in batches: one statement updates many jobs and inserts their attempt rows. It
 * flushes as soon as anything is waiting; completions that arrive during a flush go into the next one, so
 * batches grow with load and latency stays a single round trip when idle. A job is only acknowledged after its
 * handler returned, and its lease keeps being renewed until its completion is written. If the database is
 * unreachable, completions are kept and written when it is back. While a full batch is waiting to be written,
 * the fetchers stop claiming ({@link #behind()}). What follows a written batch (waking the claimers of
 * queues with flow control, the circuit breakers' counts) is {@link Runtime#batchWritten}.
 */
final class Completer extends BackgroundLoop {
    static final int MAX_BATCH = 5_000;
    private static final long FINAL_FLUSH_MS = 10_000;

    private final Runtime runtime;
    private final ConcurrentLinkedQueue<Completion> waiting = new ConcurrentLinkedQueue<>();
    private final List<Completion> batch = new ArrayList<>();
    /** Completions submitted and not yet written. */
    private final AtomicInteger unwritten = new AtomicInteger();

    Completer(Runtime runtime) {
        super("pgjobs-completer");
        this.runtime = runtime;
    }

    void submit(Completion completion) {
        unwritten.incrementAndGet();
        waiting.add(completion);
        wake();
    }

    /**
     * Whether a full batch of completions is waiting to be written. Handlers free their slots before their
     * completions are written, so without this a node whose database falls behind keeps claiming: overloaded
     * (33,000 jobs/s offered), one node held 377,000 unwritten completions, each renewed by the lease keeper in
     * statements of 8 seconds, and finished 11,300 jobs/s; with this check, 28,400.
     */
    boolean behind() {
        return unwritten.get() >= MAX_BATCH;
    }

    @Override
    protected Duration runOnce() throws Exception {
        flush();
        return waiting.isEmpty() ? Duration.ofSeconds(1) : Duration.ZERO;
    }

    /** Writes the batch in hand (kept after a failure) or the next one from the queue. */
    private void flush() throws Exception {
        if (batch.isEmpty()) {
            Completion next;
            while (batch.size() < MAX_BATCH && (next = waiting.poll()) != null) {
                batch.add(next);
            }
        }
        if (batch.isEmpty()) {
            return;
        }
        Map<Long, JobState> written = runtime.store().complete(batch, runtime.config().nodeId());
        List<Runtime.Ended> ended = new ArrayList<>(batch.size());
        for (Completion completion : batch) {
            Runtime.Ended end = runtime.written(completion, written.get(completion.jobId()));
            if (end != null) {
                ended.add(end);
            }
        }
        unwritten.addAndGet(-batch.size());
        batch.clear();
        runtime.batchWritten(ended);
    }

    @Override
    protected void afterLastRound() {
        long deadline = System.nanoTime() + FINAL_FLUSH_MS * 1_000_000L;
        while (!(batch.isEmpty() && waiting.isEmpty())) {
            try {
                flush();
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    log.error("could not write {} completions before stopping; their jobs stay running until their "
                            + "leases expire and the rescuer runs them again", batch.size() + waiting.size(), e);
                    return;
                }
                log.warn("writing completions failed while stopping, trying again: {}", e.toString());
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
