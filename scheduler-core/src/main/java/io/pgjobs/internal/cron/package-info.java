/**
 * Cron schedules (see docs/cron.md). {@link io.pgjobs.internal.cron.CronSyntax} reads an expression into a
 * {@link io.pgjobs.internal.cron.Recurrence}, which computes fire times with the daylight-saving rules;
 * {@code io.pgjobs.internal.store.ScheduleStore} holds all SQL about schedules and the recent runs each keeps;
 * {@link io.pgjobs.internal.cron.ScheduleFirer} is the background loop that fires due schedules, each fire
 * guarded twice (a compare-and-set on the schedule's next fire time and an idempotency key per fire time) so
 * that it happens once whoever leads, and recorded as a run in the same transaction;
 * {@code FirePlan} applies the misfire policy; {@link io.pgjobs.internal.cron.DefaultScheduleClient} is the
 * public {@link io.pgjobs.ScheduleClient}.
 */
package io.pgjobs.internal.cron;
