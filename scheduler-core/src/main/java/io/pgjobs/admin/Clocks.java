package io.pgjobs.admin;

import java.time.Duration;
import java.time.Instant;

/**
 * The database's clocks, read together: pgjobs takes every time from the database, never from a JVM or a
 * browser, so a screen that counts from "now" (the last hour, today) counts from {@code now}.
 *
 * @param now the database's {@code now()}, the clock of every time pgjobs writes (jobs' due times, attempts,
 *            the audit log)
 * @param schedules the schedules' clock, {@code schedule_clock()} (migration V33), against which schedules fire:
 *                  {@code now} unless a test kit moved it ahead (docs/cron.md, "The schedules' clock")
 */
public record Clocks(Instant now, Instant schedules) {
    /** {@return how far the schedules' clock is ahead of the database's: zero unless something moved it} */
    public Duration schedulesAhead() {
        return Duration.between(now, schedules);
    }
}
