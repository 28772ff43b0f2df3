package io.pgjobs;

/**
 * Receives {@link SchedulerEvent}s, for alerting or audit trails of your own. Register it with
 * {@link Scheduler.Builder#listener(JobListener)}.
 *
 * <p>The events of one attempt arrive in order: started, then its outcome, where a {@code JobFailed} is directly
 * followed by its {@code JobRetried} or {@code JobDiscarded}. The outcome is sent once it is written to the
 * database, so when a retry starts at once its {@code JobStarted} may arrive before the previous attempt's
 * outcome: tell attempts apart by their number.
 *
 * <p>Events are delivered one at a time, in the order they happened on this node, on one dedicated thread
 * ({@code pgjobs-events}), never on a worker: a slow listener delays only the events behind it, and what it
 * throws is logged and does not reach other listeners. When the bounded event queue is full (a listener too
 * slow for the rate of events), new events are dropped and counted (see docs/observability.md) rather than
 * stalling the workers.
 */
@FunctionalInterface
public interface JobListener {
    /**
     * Handles one event, on the {@code pgjobs-events} thread.
     *
     * @param event what happened
     */
    void onEvent(SchedulerEvent event);
}
