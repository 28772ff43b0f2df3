package io.pgjobs.spring.boot;

import io.pgjobs.Schedule;
import io.pgjobs.Scheduler;
import java.util.List;
import org.springframework.context.SmartLifecycle;

/**
 * Starts and stops the {@link Scheduler} with the application context. Its phase puts it after the web server:
 * it starts before the server takes requests and stops only once the server's graceful shutdown has let the
 * requests in flight finish (they may still enqueue). Stopping blocks until running jobs finished or were put
 * back ({@code pgjobs.shutdown-deadline}) and pending completions were written, so it ends before the context
 * closes the connection pool, which happens after every lifecycle has stopped.
 *
 * <p>Without queues the application is a client only: starting stores the schedules from the properties and
 * runs nothing.
 */
final class SchedulerLifecycle implements SmartLifecycle {
    /** Below the web server's phases (Boot's {@code WebServerStartStopLifecycle} and graceful shutdown). */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final Scheduler scheduler;
    private final List<Schedule> schedules;
    private final boolean runsJobs;
    private volatile boolean running;

    SchedulerLifecycle(Scheduler scheduler, List<Schedule> schedules, boolean runsJobs) {
        this.scheduler = scheduler;
        this.schedules = List.copyOf(schedules);
        this.runsJobs = runsJobs;
    }

    @Override
    public void start() {
        schedules.forEach(scheduler.client().schedules()::upsert);
        if (runsJobs) {
            scheduler.start();
        }
        running = true;
    }

    @Override
    public void stop() {
        scheduler.close();
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
