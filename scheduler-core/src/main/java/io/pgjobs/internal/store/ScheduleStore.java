package io.pgjobs.internal.store;

import static io.pgjobs.internal.db.Tables.JOBS;
import static io.pgjobs.internal.db.Tables.SCHEDULES;
import static io.pgjobs.internal.db.Tables.SCHEDULE_RUNS;

import io.pgjobs.JobState;
import io.pgjobs.ScheduleRun;
import io.pgjobs.internal.db.tables.records.SchedulesRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * All SQL about cron schedules and the runs they keep (V7's schedule_runs). Every change to a schedule sends
 * {@code s:<name>} on pgjobs' notification channel (at commit), so a sleeping firer wakes and rereads its next
 * fire time.
 */
public final class ScheduleStore {
    /** How many runs of each schedule are kept, newest first (the dashboard shows them; see V7). */
    public static final int KEPT_RUNS = 10;

    /**
     * The schedules whose time has come by the schedules' clock ({@code now}), oldest first, and when the next one
     * after them is due; {@code clockAhead}: how far the schedules' clock is ahead of the database's (zero but in a
     * test that moved it, see {@link #now}).
     */
    public record Due(Instant now, Duration clockAhead, List<StoredSchedule> schedules, Instant nextFireAt) {}

    /** Schedules as stored, the runs each keeps (by schedule name), and the database's time when they were read. */
    public record Listing(Instant now, List<StoredSchedule> schedules, Map<String, List<ScheduleRun>> runs) {}

    /** A job a schedule enqueued: for its timetable's {@code fireTime}, or by hand ({@code manual}) at that time. */
    public record Run(long jobId, Instant fireTime, boolean manual) {}

    private final DataSource dataSource;
    /** The longest any transaction of this store may run, or pause between statements (see Sql#inTransaction). */
    private final Duration transactionLimit;
    private final String schema;
    private final String notifyChannel;
    private final String unfinishedJobSql;
    /** The due schedules and the clocks (see {@link #due}). */
    private final String dueSql;

    public ScheduleStore(DataSource dataSource, String schema, String notifyChannel, Duration transactionLimit) {
        this.dataSource = dataSource;
        this.transactionLimit = transactionLimit;
        this.schema = schema;
        this.notifyChannel = notifyChannel;
        // The cron loop's one statement, run every poll interval on every leader, with schedules or without: in
        // plain SQL, as the other loops' statements are, so that a node without schedules never builds a jOOQ
        // query in its first seconds (docs/performance.md, "jOOQ off a fresh node's path"). Its columns are
        // those readSchedule reads, then the two clocks.
        this.dueSql = """
                select name, expression, time_zone, kind, args::text, queue, priority, max_attempts, tags,
                       metadata::text, enabled, misfire_policy, misfire_limit, overlap_policy, next_fire_at,
                       last_fire_at, %1$s.schedule_clock() as clock_now, now() as db_now
                from %1$s.schedules
                where enabled and next_fire_at is not null
                order by next_fire_at
                limit ?
                """.formatted(schema);
        // Written to match the partial index jobs_schedule_unfinished (migration V3) literally.
        this.unfinishedJobSql = """
                select exists (select 1 from %s.jobs
                               where (metadata ->> 'pgjobs.schedule') = ?
                                 and state in ('scheduled', 'available', 'running', 'retryable'))
                """.formatted(schema);
    }

    /** Runs {@code work} in one transaction: the methods that take a connection take part in it. */
    public <T> T inTransaction(Sql.Work<T> work) throws SQLException {
        return Sql.inTransaction(dataSource, transactionLimit, work);
    }

    /**
     * The schedules' time: V33's {@code schedule_clock()}, the database's {@code now()} (the start of the current
     * transaction on {@code connection}) unless a test moved it.
     */
    public Instant now(Connection connection) {
        return Sql.dsl(connection, schema).select(DSL.function(DSL.name(schema, "schedule_clock"),
                SQLDataType.TIMESTAMPWITHTIMEZONE)).fetchSingle().value1().toInstant();
    }

    /**
     * Inserts {@code schedule}, or updates the row of its name: the next fire time is replaced only when the
     * expression or time zone changed (so a restart neither skips nor repeats a pending fire), and whether it is
     * paused never changes.
     */
    public void upsert(Connection connection, StoredSchedule schedule) {
        DSLContext dsl = Sql.dsl(connection, schema);
        var changedTiming = SCHEDULES.EXPRESSION.ne(DSL.excluded(SCHEDULES.EXPRESSION))
                .or(SCHEDULES.TIME_ZONE.ne(DSL.excluded(SCHEDULES.TIME_ZONE)));
        Map<Field<?>, Object> update = new LinkedHashMap<>();
        // the columns an upsert takes from the definition; not the state (enabled, next and last fire)
        for (Field<?> field : List.of(SCHEDULES.EXPRESSION, SCHEDULES.TIME_ZONE, SCHEDULES.KIND, SCHEDULES.ARGS,
                SCHEDULES.QUEUE, SCHEDULES.PRIORITY, SCHEDULES.MAX_ATTEMPTS, SCHEDULES.TAGS, SCHEDULES.METADATA,
                SCHEDULES.MISFIRE_POLICY, SCHEDULES.MISFIRE_LIMIT, SCHEDULES.OVERLAP_POLICY)) {
            update.put(field, DSL.excluded(field));
        }
        update.put(SCHEDULES.NEXT_FIRE_AT, DSL.when(DSL.condition(SCHEDULES.ENABLED).and(changedTiming),
                DSL.excluded(SCHEDULES.NEXT_FIRE_AT)).else_(SCHEDULES.NEXT_FIRE_AT));
        update.put(SCHEDULES.UPDATED_AT, DSL.currentOffsetDateTime());
        dsl.insertInto(SCHEDULES).set(toRecord(schedule)).onConflict(SCHEDULES.NAME).doUpdate().set(update).execute();
        notifyChanged(dsl, schedule.name());
    }

    /** The schedule, locked until the end of the transaction on {@code connection}. */
    public Optional<StoredSchedule> lock(Connection connection, String name) {
        return Sql.dsl(connection, schema).selectFrom(SCHEDULES).where(SCHEDULES.NAME.eq(name)).forUpdate()
                .fetchOptional().map(ScheduleStore::toSchedule);
    }

    /**
     * Pauses the schedule in the transaction on {@code connection} (its own, or an operator's with the audit
     * entry); a paused schedule has no next fire time. Returns whether there is such a schedule.
     */
    public boolean pause(Connection connection, String name) {
        DSLContext dsl = Sql.dsl(connection, schema);
        int updated = dsl.update(SCHEDULES)
                .set(SCHEDULES.ENABLED, false)
                .setNull(SCHEDULES.NEXT_FIRE_AT)
                .set(SCHEDULES.UPDATED_AT, DSL.currentOffsetDateTime())
                .where(SCHEDULES.NAME.eq(name)).execute();
        notifyChanged(dsl, name);
        return updated > 0;
    }

    /** Enables the schedule with {@code nextFireAt} (null: no future fire time). */
    public void resume(Connection connection, String name, Instant nextFireAt) {
        DSLContext dsl = Sql.dsl(connection, schema);
        dsl.update(SCHEDULES)
                .set(SCHEDULES.ENABLED, true)
                .set(SCHEDULES.NEXT_FIRE_AT, timestamp(nextFireAt))
                .set(SCHEDULES.UPDATED_AT, DSL.currentOffsetDateTime())
                .where(SCHEDULES.NAME.eq(name)).execute();
        notifyChanged(dsl, name);
    }

    public boolean delete(String name) throws SQLException {
        return Sql.inTransaction(dataSource, transactionLimit, connection -> {
            DSLContext dsl = Sql.dsl(connection, schema);
            int deleted = dsl.deleteFrom(SCHEDULES).where(SCHEDULES.NAME.eq(name)).execute();
            notifyChanged(dsl, name);
            return deleted > 0;
        });
    }

    /**
     * The schedule named {@code name} (every schedule when null), by name, each with the runs it keeps (at most
     * {@link #KEPT_RUNS}, newest first, each with its job's state and times: one primary-key probe of jobs per
     * run), and the database's time.
     */
    public Listing list(String name) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            DSLContext dsl = Sql.dsl(connection, schema);
            Instant now = now(connection);
            List<StoredSchedule> schedules = dsl.selectFrom(SCHEDULES)
                    .where(name == null ? DSL.noCondition() : SCHEDULES.NAME.eq(name)).orderBy(SCHEDULES.NAME)
                    .fetch(ScheduleStore::toSchedule);
            Map<String, List<ScheduleRun>> runs = new LinkedHashMap<>();
            dsl.select(SCHEDULE_RUNS.SCHEDULE, SCHEDULE_RUNS.JOB_ID, SCHEDULE_RUNS.FIRE_TIME, SCHEDULE_RUNS.MANUAL,
                            JOBS.STATE, JOBS.STARTED_AT, JOBS.FINISHED_AT)
                    .from(SCHEDULE_RUNS).leftJoin(JOBS).on(JOBS.ID.eq(SCHEDULE_RUNS.JOB_ID))
                    .where(name == null ? DSL.noCondition() : SCHEDULE_RUNS.SCHEDULE.eq(name))
                    .orderBy(SCHEDULE_RUNS.SCHEDULE, SCHEDULE_RUNS.JOB_ID.desc())
                    .forEach(r -> runs.computeIfAbsent(r.value1(), schedule -> new ArrayList<>()).add(new ScheduleRun(
                            r.value2(), Sql.instant(r.value3()), r.value4(),
                            r.value5() == null ? null : JobState.fromDb(r.value5()), // the job is gone
                            Sql.instant(r.value6()), Sql.instant(r.value7()))));
            return new Listing(now, schedules, runs);
        });
    }

    // ---- the firer ---------------------------------------------------------------------------------------------

    /**
     * Up to {@code limit} enabled schedules by next fire time, split into those due now (by the schedules' clock)
     * and the first one after. One indexed statement (schedules_due), which also reads the clocks.
     */
    public Due due(int limit) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(dueSql)) {
                ps.setInt(1, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return new Due(null, Duration.ZERO, List.of(), null);
                    }
                    Instant now = rs.getObject("clock_now", OffsetDateTime.class).toInstant();
                    Duration clockAhead = Duration.between(rs.getObject("db_now", OffsetDateTime.class).toInstant(),
                            now);
                    List<StoredSchedule> due = new ArrayList<>();
                    do {
                        StoredSchedule schedule = readSchedule(rs);
                        if (schedule.nextFireAt().isAfter(now)) {
                            return new Due(now, clockAhead, due, schedule.nextFireAt());
                        }
                        due.add(schedule);
                    } while (rs.next());
                    return new Due(now, clockAhead, due, null);
                }
            }
        });
    }

    /**
     * Moves the schedule's next fire time from {@code expected} to {@code next}, only if it is still enabled and
     * still at {@code expected} (a compare-and-set: of two nodes that read the same fire time, the second one's
     * update waits for the first one's commit, then finds nothing to change). Returns whether it moved.
     */
    public boolean advance(Connection connection, String name, Instant expected, Instant next, Instant lastFireAt) {
        return Sql.dsl(connection, schema).update(SCHEDULES)
                .set(SCHEDULES.NEXT_FIRE_AT, timestamp(next))
                .set(SCHEDULES.LAST_FIRE_AT, timestamp(lastFireAt))
                .where(SCHEDULES.NAME.eq(name)).and(SCHEDULES.ENABLED)
                .and(SCHEDULES.NEXT_FIRE_AT.eq(timestamp(expected)))
                .execute() > 0;
    }

    /** Whether a job fired by this schedule is still waiting or running. */
    public boolean hasUnfinishedJob(Connection connection, String name) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(unfinishedJobSql)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Records jobs that the schedule enqueued in the transaction on {@code connection}, and forgets its runs
     * beyond the newest {@link #KEPT_RUNS}. The caller holds the schedule's row (the fire's compare-and-set, or
     * the trigger's lock), so one schedule's runs are written one transaction at a time and their job ids grow
     * with time: newest first is highest id first.
     */
    public void recordRuns(Connection connection, String name, List<Run> runs) {
        if (runs.isEmpty()) {
            return;
        }
        DSLContext dsl = Sql.dsl(connection, schema);
        var insert = dsl.insertInto(SCHEDULE_RUNS, SCHEDULE_RUNS.SCHEDULE, SCHEDULE_RUNS.JOB_ID, SCHEDULE_RUNS.FIRE_TIME,
                SCHEDULE_RUNS.MANUAL);
        for (Run run : runs) {
            insert = insert.values(name, run.jobId(), timestamp(run.fireTime()), run.manual());
        }
        insert.execute();
        dsl.deleteFrom(SCHEDULE_RUNS).where(SCHEDULE_RUNS.SCHEDULE.eq(name)).and(SCHEDULE_RUNS.JOB_ID.lt(
                dsl.select(SCHEDULE_RUNS.JOB_ID).from(SCHEDULE_RUNS).where(SCHEDULE_RUNS.SCHEDULE.eq(name))
                        .orderBy(SCHEDULE_RUNS.JOB_ID.desc()).offset(KEPT_RUNS - 1).limit(1)))
                .execute();
    }

    private static StoredSchedule toSchedule(SchedulesRecord r) {
        return new StoredSchedule(r.getName(), r.getExpression(), r.getTimeZone(), r.getKind(), r.getArgs().data(),
                r.getQueue(), r.getPriority(), r.getMaxAttempts(), List.of(r.getTags()), r.getMetadata().data(),
                r.getEnabled(), r.getMisfirePolicy(), r.getMisfireLimit(), r.getOverlapPolicy(),
                Sql.instant(r.getNextFireAt()), Sql.instant(r.getLastFireAt()));
    }

    /** The schedule in the current row of {@link #dueSql}'s result, whose first columns are the schedule's. */
    private static StoredSchedule readSchedule(ResultSet rs) throws SQLException {
        return new StoredSchedule(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getShort(7), rs.getInt(8), List.of((String[]) rs.getArray(9).getArray()),
                rs.getString(10), rs.getBoolean(11), rs.getString(12), rs.getInt(13), rs.getString(14),
                Sql.instant(rs.getObject(15, OffsetDateTime.class)), Sql.instant(rs.getObject(16, OffsetDateTime.class)));
    }

    private static SchedulesRecord toRecord(StoredSchedule schedule) {
        SchedulesRecord row = new SchedulesRecord();
        row.setName(schedule.name());
        row.setExpression(schedule.expression());
        row.setTimeZone(schedule.timeZone());
        row.setKind(schedule.kind());
        row.setArgs(JSONB.valueOf(schedule.argsJson()));
        row.setQueue(schedule.queue());
        row.setPriority((short) schedule.priority());
        row.setMaxAttempts(schedule.maxAttempts());
        row.setTags(schedule.tags().toArray(String[]::new));
        row.setMetadata(JSONB.valueOf(schedule.metadataJson()));
        row.setEnabled(schedule.enabled());
        row.setMisfirePolicy(schedule.misfirePolicy());
        row.setMisfireLimit(schedule.misfireLimit());
        row.setOverlapPolicy(schedule.overlapPolicy());
        row.setNextFireAt(timestamp(schedule.nextFireAt()));
        return row;
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }

    private void notifyChanged(DSLContext dsl, String name) {
        Sql.notify(dsl, notifyChannel, "s:" + name);
    }
}
