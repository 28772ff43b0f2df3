package io.pgjobs;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;

/**
 * A schedule as stored, for listings ({@link ScheduleClient#list()}, {@link io.pgjobs.admin.AdminClient#schedules()}
 * and the dashboard all return this).
 *
 * @param name           the schedule's name
 * @param expression     its cron expression or interval
 * @param description    the expression in words, from the same reading of the expression that fires it; for a
 *                       row written around pgjobs' validation that cannot be read, why it cannot fire
 * @param timeZone       the zone the expression is read in; null when the stored zone is not a time zone id
 * @param kind           the kind of job it enqueues
 * @param queue          the job's queue
 * @param args           the job's arguments as JSON
 * @param nextFireAt     the pending fire time; null while paused or when the expression has no future time
 * @param lastFireAt     the latest fire time that enqueued a job; null before the first
 * @param nextFireTimes  the pending fire time and the four after it, as the firer computes them (a pending time
 *                       more than a minute old is a misfire, which the misfire policy handles); empty while paused
 * @param paused         whether it is paused
 * @param misfirePolicy  what happens to missed fire times
 * @param misfireLimit   the most missed times fired at once with {@link Schedule.MisfirePolicy#FIRE_ALL}
 * @param overlapPolicy  whether a fire may start while an earlier job has not finished
 * @param recentRuns     the newest jobs the schedule enqueued (at most 10, newest first), fired or triggered
 */
public record ScheduleInfo(
        String name,
        String expression,
        String description,
        ZoneId timeZone,
        String kind,
        String queue,
        String args,
        Instant nextFireAt,
        Instant lastFireAt,
        List<Instant> nextFireTimes,
        boolean paused,
        Schedule.MisfirePolicy misfirePolicy,
        int misfireLimit,
        Schedule.OverlapPolicy overlapPolicy,
        List<ScheduleRun> recentRuns) {}
