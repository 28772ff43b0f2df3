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
     *
     * @param schedule the schedule
     */
    void upsert(Schedule schedule);

    /**
     * Stops firing until {@link #resume}; returns false when there is no such schedule.
     *
     * @param name the schedule's name
     * @return whether there is such a schedule
     */
    boolean pause(String name);

    /**
     * Fires again from the next future time (times passed while paused are not made up); false when unknown.
     *
     * @param name the schedule's name
     * @return whether there is such a schedule
     */
    boolean resume(String name);

    /**
     * Deletes the schedule; jobs it already enqueued stay. Returns false when there was none.
     *
     * @param name the schedule's name
     * @return whether there was one
     */
    boolean delete(String name);

    /**
     * Enqueues the schedule's job now, outside its timetable (not subject to the overlap policy, and the next
     * fire time stays). Returns the job's id, or empty when there is no such schedule.
     *
     * @param name the schedule's name
     * @return the job's id
     */
    Optional<Long> triggerNow(String name);

    /**
     * One schedule, with its next fire times and its recent runs.
     *
     * @param name the schedule's name
     * @return the schedule; empty when there is none
     */
    Optional<ScheduleInfo> get(String name);

    /**
     * Every schedule, by name.
     *
     * @return the schedules
     */
    List<ScheduleInfo> list();
}
