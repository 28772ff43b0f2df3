package io.pgjobs.admin;

import java.time.Instant;
import java.util.List;

/**
 * A cron schedule with its expression in words (null when the expression is not standard cron), its next fire
 * times computed from the database's clock, and its most recent runs (at most 10, newest first, whether fired
 * by the timetable or triggered by hand).
 */
public record ScheduleInfo(String name, String expression, String description, String timeZone, String kind,
                           String queue, String args, boolean enabled, Instant nextFireAt, Instant lastFireAt,
                           List<Instant> nextFireTimes, List<ScheduleRun> recentRuns) {}
