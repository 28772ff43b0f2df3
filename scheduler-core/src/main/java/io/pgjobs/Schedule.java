package io.pgjobs;

import io.pgjobs.internal.cron.CronSyntax;
import io.pgjobs.internal.values.Excerpt;
import io.pgjobs.internal.values.PgValues;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;

/**
 * A recurring job: a name, when it fires, and the job it enqueues each time. Declare it on
 * {@link Scheduler.Builder#schedule(Schedule)} or manage it through {@link JobClient#schedules()}. Each setter
 * checks its value at once and throws {@link IllegalArgumentException} naming the problem; a bad expression
 * names the offending field and the parser's reason.
 *
 * <pre>{@code
 * Schedule.of("nightly-report", "0 2 * * *", JobRequest.of(new BuildReport("sales")).queue("reports"))
 *         .timeZone("Europe/Berlin")
 *         .overlap(Schedule.OverlapPolicy.SKIP);
 * }</pre>
 *
 * <p>Expressions: Unix (5 fields), Quartz (6 or 7 fields, with seconds, {@code L}, {@code W}, {@code #},
 * {@code ?}), Spring (prefixed {@code spring:}), the macros {@code @hourly @daily @midnight @weekly @monthly
 * @yearly @annually}, and fixed intervals such as {@code every 30s}, {@code every 5m}, {@code every 2h}. See
 * docs/cron.md for the exact grammar and the daylight-saving rules. An expression that can never fire (such as
 * February 30th, {@code 0 0 30 2 *}) is rejected. {@link #nextFireTimes(Instant, int)} previews the fire times.
 */
public final class Schedule {
    /** What to do with fire times that passed while no node could fire them (for over a minute). */
    public enum MisfirePolicy {
        /** Fire one job now, for the first missed time, then continue with the next future time. The default. */
        FIRE_ONCE,
        /** Fire nothing for the missed times; continue with the next future time. */
        SKIP,
        /** Fire one job per missed time, oldest first, up to {@link #misfireLimit(int)} of them. */
        FIRE_ALL
    }

    /** Whether a fire may start while an earlier job of this schedule has not finished. */
    public enum OverlapPolicy {
        /** Always enqueue. The default. */
        ALLOW,
        /** Do not enqueue (the fire time passes without a job) while an earlier job is still waiting or running. */
        SKIP
    }

    /** The largest {@link #misfireLimit(int)}. */
    public static final int MAX_MISFIRE_LIMIT = 1000;
    /** The most fire times one {@link #nextFireTimes} call computes. */
    public static final int MAX_PREVIEW = 1000;
    private static final Instant EARLIEST_PREVIEW = Instant.parse("1970-01-01T00:00:00Z");
    private static final Instant LATEST_PREVIEW = Instant.parse("9999-12-31T23:59:59Z");

    private final String name;
    private final String expression;
    private final JobRequest job;
    private ZoneId timeZone = ZoneOffset.UTC;
    private MisfirePolicy misfirePolicy = MisfirePolicy.FIRE_ONCE;
    private int misfireLimit = 10;
    private OverlapPolicy overlapPolicy = OverlapPolicy.ALLOW;
    private boolean paused;

    private Schedule(String name, String expression, JobRequest job) {
        if (name == null || name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("name: must be 1 to 200 non-blank characters, was '"
                    + Excerpt.of(name) + "'");
        }
        PgValues.text("name", name);
        if (job == null) {
            throw new IllegalArgumentException("job: must not be null");
        }
        if (job.runAt() != null || job.delay() != null || job.idempotencyKey() != null) {
            throw new IllegalArgumentException("job: schedule '" + name + "' sets its jobs' run time and "
                    + "idempotency key itself; leave runAt, delay and idempotencyKey unset");
        }
        CronSyntax.parse(expression, ZoneOffset.UTC);
        this.name = name;
        this.expression = PgValues.text("expression", expression.trim());
        this.job = job;
    }

    /**
     * A schedule that enqueues {@code job} (its kind, args, queue, priority, attempts, tags and metadata).
     *
     * @param name the schedule's name, unique: a schedule of the same name is updated, never duplicated
     * @param expression a cron expression or an interval (docs/cron.md)
     * @param job the job each fire enqueues
     * @return the schedule
     */
    public static Schedule of(String name, String expression, JobRequest job) {
        return new Schedule(name, expression, job);
    }

    /**
     * A schedule that enqueues a job of {@code kind} with {@code args} and default options.
     *
     * @param name the schedule's name, unique: a schedule of the same name is updated, never duplicated
     * @param expression a cron expression or an interval (docs/cron.md)
     * @param kind the job's kind
     * @param args the job's args
     * @return the schedule
     */
    public static Schedule of(String name, String expression, String kind, Object args) {
        return new Schedule(name, expression, JobRequest.of(kind, args));
    }

    /**
     * The zone whose wall clock a cron expression is read on; default UTC. Intervals ignore it.
     *
     * @param zone the zone
     * @return this schedule
     */
    public Schedule timeZone(ZoneId zone) {
        this.timeZone = Objects.requireNonNull(zone, "timeZone");
        return this;
    }

    /**
     * {@link #timeZone(ZoneId)} by region id, such as {@code Europe/Berlin}.
     *
     * @param zone the region id
     * @return this schedule
     */
    public Schedule timeZone(String zone) {
        if (zone == null) {
            throw new IllegalArgumentException("timeZone: must not be null");
        }
        try {
            return timeZone(ZoneId.of(zone));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("timeZone: '" + zone + "' is not a time zone id: " + e.getMessage(), e);
        }
    }

    /**
     * What happens to fire times missed while no leader fired them; default {@link MisfirePolicy#FIRE_ONCE}.
     *
     * @param policy the policy
     * @return this schedule
     */
    public Schedule misfire(MisfirePolicy policy) {
        this.misfirePolicy = Objects.requireNonNull(policy, "misfire");
        return this;
    }

    /**
     * With {@link MisfirePolicy#FIRE_ALL}: the most missed times fired at once; default 10.
     *
     * @param limit the most, 1 to {@link #MAX_MISFIRE_LIMIT}
     * @return this schedule
     */
    public Schedule misfireLimit(int limit) {
        if (limit < 1 || limit > MAX_MISFIRE_LIMIT) {
            throw new IllegalArgumentException("misfireLimit: " + limit + " is out of range 1.." + MAX_MISFIRE_LIMIT);
        }
        this.misfireLimit = limit;
        return this;
    }

    /**
     * Whether a fire may start while an earlier job of this schedule has not finished; default
     * {@link OverlapPolicy#ALLOW}.
     *
     * @param policy the policy
     * @return this schedule
     */
    public Schedule overlap(OverlapPolicy policy) {
        this.overlapPolicy = Objects.requireNonNull(policy, "overlap");
        return this;
    }

    /**
     * Whether the schedule is created paused; default false. It applies only when the schedule is created:
     * afterwards pausing and resuming belong to {@link ScheduleClient#pause} and {@link ScheduleClient#resume},
     * so a restart never undoes an operator's pause.
     *
     * @param paused whether it is created paused
     * @return this schedule
     */
    public Schedule paused(boolean paused) {
        this.paused = paused;
        return this;
    }

    /**
     * The first {@code count} times strictly after {@code after} at which this schedule fires, in its time zone,
     * computed exactly as the firer computes them (the same parser, daylight-saving rules and interval
     * alignment; the dashboard shows these too); fewer when the expression runs out (a Quartz year field).
     * Needs no database, so an expression can be checked in a unit test:
     *
     * <pre>{@code
     * Schedule payroll = Schedule.of("payroll", "0 0 12 31W * ?", "payroll.run", Map.of()).timeZone("Europe/Berlin");
     * assertThat(payroll.nextFireTimes(Instant.parse("2025-05-01T00:00:00Z"), 3)).containsExactly(
     *         Instant.parse("2025-05-30T10:00:00Z"),   // the 31st is a Saturday: Friday the 30th
     *         Instant.parse("2025-07-31T10:00:00Z"),   // June has no 31st: no fire
     *         Instant.parse("2025-08-29T10:00:00Z"));  // the 31st is a Sunday, the month's last day: Friday
     * }</pre>
     *
     * @param after the instant the fire times follow
     * @param count how many fire times
     * @return the fire times, earliest first
     * @throws IllegalArgumentException if {@code after} is null or outside 1970..9999, or {@code count} is outside
     *                                  1..{@value #MAX_PREVIEW}
     */
    public List<Instant> nextFireTimes(Instant after, int count) {
        if (after == null || after.isBefore(EARLIEST_PREVIEW) || after.isAfter(LATEST_PREVIEW)) {
            throw new IllegalArgumentException("after: must be between " + EARLIEST_PREVIEW + " and "
                    + LATEST_PREVIEW + ", was " + after);
        }
        if (count < 1 || count > MAX_PREVIEW) {
            throw new IllegalArgumentException("count: " + count + " is out of range 1.." + MAX_PREVIEW);
        }
        return List.copyOf(CronSyntax.parse(expression, timeZone).nextFireTimes(after, count));
    }

    /** {@return the schedule's name} */
    public String name() { return name; }
    /** {@return its cron expression or interval} */
    public String expression() { return expression; }
    /** {@return the job each fire enqueues} */
    public JobRequest job() { return job; }
    /** {@return the zone its cron expression is read in} */
    public ZoneId timeZone() { return timeZone; }
    /** {@return what happens to missed fire times} */
    public MisfirePolicy misfirePolicy() { return misfirePolicy; }
    /** {@return the most missed times fired at once with {@link MisfirePolicy#FIRE_ALL}} */
    public int misfireLimit() { return misfireLimit; }
    /** {@return whether a fire may start while an earlier job has not finished} */
    public OverlapPolicy overlapPolicy() { return overlapPolicy; }
    /** {@return whether it is created paused} */
    public boolean paused() { return paused; }
}
