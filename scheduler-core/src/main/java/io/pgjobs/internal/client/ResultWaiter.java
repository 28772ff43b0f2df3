package io.pgjobs.internal.client;

import io.pgjobs.Job;
import io.pgjobs.PgJobsException;
import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.runtime.NotificationListener;
import io.pgjobs.internal.store.JobStore;
import io.pgjobs.internal.store.NotificationStore;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits for jobs to finish, for {@link io.pgjobs.JobClient#awaitResult}. A waiter marks its job as awaited
 * (V18) once this node listens on the results channel, so the statement that finishes the job notifies it; a
 * poll every {@code resultPollInterval} finds what a lost notification (a dropped connection) or none (a job
 * deleted) did not tell. The listener and the poll start with the first wait and run until
 * {@link #close()}: a client that never waits holds no connection for it.
 */
final class ResultWaiter {
    private final JobStore store;
    private final Duration pollInterval;
    private final NotificationListener listener;
    private final Poller poller = new Poller();
    /** The futures waiting for each job; a job's list is removed with its last future. */
    private final Map<Long, List<CompletableFuture<Job>>> waiting = new ConcurrentHashMap<>();
    /** Completed when the listener first listens. */
    private final CompletableFuture<Void> listening = new CompletableFuture<>();
    private final Object lifecycle = new Object();
    private boolean started;
    private boolean closed;

    ResultWaiter(JobStore store, NotificationStore results, Duration pollInterval) {
        this.store = store;
        this.pollInterval = pollInterval;
        this.listener = new NotificationListener("pgjobs-result-listener", results, this::onPayload,
                this::onConnected);
    }

    /**
     * A future of job {@code id} as it finished (completed, discarded or cancelled), failed with a
     * {@link TimeoutException} once {@code timeout} has passed, with {@link IllegalArgumentException} when there
     * is no such job, and with {@link PgJobsException} when it is deleted meanwhile or this waiter is closed.
     * Cancelling the future stops waiting.
     */
    CompletableFuture<Job> await(long id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        startOnce();
        awaitListening(timeout.compareTo(pollInterval) < 0 ? timeout : pollInterval);
        CompletableFuture<Job> future = new CompletableFuture<>();
        waiting.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(future);
        future.whenComplete((job, error) -> forget(id, future));
        CompletableFuture.delayedExecutor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
                .execute(() -> future.completeExceptionally(
                        new TimeoutException("job " + id + " did not finish within " + timeout)));
        try {
            Optional<Job> job = store.markAwaited(id);
            if (job.isEmpty()) {
                future.completeExceptionally(new IllegalArgumentException("id: no job " + id));
            } else if (job.get().state().isFinished()) {
                future.complete(job.get());
            }
        } catch (SQLException e) {
            future.completeExceptionally(new PgJobsException("could not wait for job " + id + ": " + e.getMessage(), e));
        }
        return future;
    }

    /** Stops listening and polling; whoever still waits gets a {@link PgJobsException}. */
    void close() {
        synchronized (lifecycle) {
            closed = true;
            listener.stop();
            poller.stop();
        }
        waiting.forEach((id, futures) -> futures.forEach(future -> future.completeExceptionally(
                new PgJobsException("stopped waiting for job " + id + ": the scheduler was closed"))));
    }

    private void startOnce() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("this scheduler was closed; build a new one to wait for results");
            }
            if (!started) {
                started = true;
                listener.start();
                poller.start();
            }
        }
    }

    /**
     * Waits until the listener listens, so that a job marked from now on cannot finish unheard; at most
     * {@code limit}, after which the job is marked anyway and the poll finds it (the database may be away).
     */
    private void awaitListening(Duration limit) {
        try {
            listening.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // not listening yet: the poll, and the check when the listener connects, still find the job
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("listening is never completed exceptionally", e);
        }
    }

    private void forget(long id, CompletableFuture<Job> future) {
        waiting.computeIfPresent(id, (k, futures) -> {
            futures.remove(future);
            return futures.isEmpty() ? null : futures;
        });
    }

    private void onPayload(String payload) {
        long id = Long.parseLong(payload);
        if (waiting.containsKey(id)) {
            check(Set.of(id));
        }
    }

    /** Notifications sent while the listener was not connected are lost: every waiter's job is read again. */
    private void onConnected() {
        listening.complete(null);
        if (!waiting.isEmpty()) {
            check(Set.copyOf(waiting.keySet()));
        }
    }

    private void check(Set<Long> ids) {
        JobStore.Finished finished;
        try {
            finished = store.finished(ids);
        } catch (SQLException e) {
            throw new PgJobsException("could not read the jobs waited for: " + e.getMessage(), e);
        }
        // completed on another thread: a waiter's own callbacks must not hold up the listener
        for (Job job : finished.jobs()) {
            waiting.getOrDefault(job.id(), List.of()).forEach(future -> future.completeAsync(() -> job));
        }
        for (long id : finished.missing()) {
            waiting.getOrDefault(id, List.of()).forEach(future -> future.completeExceptionally(
                    new PgJobsException("job " + id + " was deleted before it finished")));
        }
    }

    /**
     * The fallback for lost notifications. Its first round, at start, only waits: nothing can have been lost
     * before the first job was marked.
     */
    private final class Poller extends BackgroundLoop {
        private boolean started;

        Poller() {
            super("pgjobs-result-poll");
        }

        @Override
        protected Duration runOnce() {
            if (started && !waiting.isEmpty()) {
                check(Set.copyOf(waiting.keySet()));
            }
            started = true;
            return pollInterval;
        }
    }
}
