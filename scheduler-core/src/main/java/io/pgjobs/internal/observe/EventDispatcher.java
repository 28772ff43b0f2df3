package io.pgjobs.internal.observe;

import io.pgjobs.JobListener;
import io.pgjobs.SchedulerEvent;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands events to the listeners on one thread of its own, through a bounded queue: publishing never blocks, so
 * a slow or stuck listener can never stall a worker, the fetchers or the completer. When the queue is full the
 * event is dropped and counted. It is a single-thread executor rather than a {@code BackgroundLoop} because a
 * listener may block forever: {@link #close()} must be able to give up on it after a bounded wait.
 */
final class EventDispatcher {
    private static final Logger log = LoggerFactory.getLogger(EventDispatcher.class);
    private static final long CLOSE_WAIT_MS = 2_000;
    /** After the first drop, one warning per this many drops. */
    private static final long WARN_EVERY = 1_000;

    private final List<JobListener> listeners;
    private final ThreadPoolExecutor thread;
    private final Runnable onDrop;
    private final AtomicLong dropped = new AtomicLong();

    EventDispatcher(List<JobListener> listeners, int capacity, Runnable onDrop) {
        this.listeners = listeners;
        this.onDrop = onDrop;
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(capacity),
                r -> Thread.ofPlatform().daemon(true).name("pgjobs-events").unstarted(r),
                (delivery, executor) -> drop((Delivery) delivery));
    }

    /** Queues {@code events} to be delivered one after the other, with no other event in between. */
    void publish(List<SchedulerEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        try {
            thread.execute(new Delivery(events));
        } catch (RejectedExecutionException closed) {
            log.debug("events {} published after close, not delivered", events);
        }
    }

    /** Delivers what is queued within a short wait, then interrupts a listener that is still busy. */
    void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS)) {
                int undelivered = thread.shutdownNow().size();
                log.warn("listeners did not take {} events within {} ms of closing; they are not delivered",
                        undelivered, CLOSE_WAIT_MS);
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Events that go to the listeners together, in order. */
    private final class Delivery implements Runnable {
        private final List<SchedulerEvent> events;

        Delivery(List<SchedulerEvent> events) {
            this.events = events;
        }

        @Override
        public void run() {
            for (SchedulerEvent event : events) {
                for (JobListener listener : listeners) {
                    try {
                        listener.onEvent(event);
                    } catch (RuntimeException e) {
                        log.warn("listener {} failed on {}; the other listeners still get it", listener, event, e);
                    }
                }
            }
        }
    }

    private void drop(Delivery delivery) {
        if (thread.isShutdown()) {
            throw new RejectedExecutionException("closed");
        }
        for (int i = 0; i < delivery.events.size(); i++) {
            long count = dropped.incrementAndGet();
            onDrop.run();
            if (count == 1 || count % WARN_EVERY == 0) {
                log.warn("the event queue is full (a listener is too slow): {} events dropped so far", count);
            }
        }
    }
}
