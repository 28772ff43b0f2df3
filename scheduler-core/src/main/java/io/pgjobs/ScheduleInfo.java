package io.pgjobs;

import java.time.Instant;
import java.time.ZoneId;

/**
 * A schedule as stored, for listings: {@code description} is the expression in words, {@code nextFireAt} is
 * null while paused or when the expression has no future time, {@code lastFireAt} is the latest fire time that
 * enqueued a job (null before the first).
 */
public record ScheduleInfo(
        String name,
        String expression,
        String description,
        ZoneId timeZone,
        String kind,
        String queue,
        Instant nextFireAt,
        Instant lastFireAt,
        boolean paused,
        Schedule.MisfirePolicy misfirePolicy,
        int misfireLimit,
        Schedule.OverlapPolicy overlapPolicy) {}
