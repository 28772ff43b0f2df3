package io.pgjobs;

import java.util.List;
import java.util.Optional;

/**
 * Manages cron schedules at run time; get it from {@link JobClient#schedules()}. Changes take effect on the
 * firing node at once (it is woken through the notification channel). A database failure throws
 * {@link PgJobsException}.
 */
public interface ScheduleClient {

    /**
     * Creates the schedule, or updates the one of that name. An update keeps the pending next fire time unless
     * the expression or time zone changed, and never changes whether the schedule is paused.
     */
    void upsert(Schedule schedule);

    /** Stops firing until {@link #resume}; returns false when there is no such schedule. */
    boolean pause(String name);

    /** Fires again from the next future time (times passed while paused are not made up); false when unknown. */
    boolean resume(String name);

    /** Deletes the schedule; jobs it already enqueued stay. Returns false when there was none. */
    boolean delete(String name);

    /**
     * Enqueues the schedule's job now, outside its timetable (not subject to the overlap policy, and the next
     * fire time stays). Returns the job's id, or empty when there is no such schedule.
     */
    Optional<Long> triggerNow(String name);

    Optional<ScheduleInfo> get(String name);

    /** Every schedule, by name. */
    List<ScheduleInfo> list();
}
