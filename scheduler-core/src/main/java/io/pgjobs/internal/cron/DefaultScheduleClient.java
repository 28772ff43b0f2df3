package io.pgjobs.internal.cron;

import static io.pgjobs.internal.store.Sql.call;

import io.pgjobs.EnqueueResult;
import io.pgjobs.JobRequest;
import io.pgjobs.Schedule;
import io.pgjobs.Schedule.MisfirePolicy;
import io.pgjobs.Schedule.OverlapPolicy;
import io.pgjobs.ScheduleClient;
import io.pgjobs.ScheduleInfo;
import io.pgjobs.ScheduleRun;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.JobWriter;
import io.pgjobs.internal.store.NewJob;
import io.pgjobs.internal.store.ScheduleStore;
import io.pgjobs.internal.store.StoredSchedule;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The {@link ScheduleClient}. A schedule's job is validated and serialized like any enqueued job (through
 * {@code prepare}, the job client's own), and stored ready to insert.
 */
public final class DefaultScheduleClient implements ScheduleClient {
    /** How many fire times a listing shows: the pending one and those after it. */
    private static final int NEXT_FIRE_TIMES = 5;

    private final ScheduleStore store;
    private final JobWriter jobs;
    private final Function<JobRequest, NewJob> prepare;
    private final Telemetry telemetry;

    public DefaultScheduleClient(ScheduleStore store, JobWriter jobs, Function<JobRequest, NewJob> prepare,
                                 Telemetry telemetry) {
        this.store = store;
        this.jobs = jobs;
        this.prepare = prepare;
        this.telemetry = telemetry;
    }

    @Override
    public void upsert(Schedule schedule) {
        Objects.requireNonNull(schedule, "schedule");
        upsertAll(List.of(schedule));
    }

    /**
     * Creates or updates {@code schedules} in one transaction, all validated first, so a bad one writes
     * nothing. How the declared schedules are synced at start.
     */
    public void upsertAll(List<Schedule> schedules) {
        List<Definition> definitions = schedules.stream().map(this::define).toList();
        if (definitions.isEmpty()) {
            return;
        }
        call("save schedules " + schedules.stream().map(Schedule::name).toList(),
                () -> store.inTransaction(connection -> {
                    Instant now = store.now(connection);
                    for (Definition definition : definitions) {
                        store.upsert(connection, definition.row(now));
                    }
                    return null;
                }));
    }

    /** A validated schedule, ready to store once the database's time gives its next fire time. */
    private record Definition(Schedule schedule, NewJob job, Recurrence recurrence) {
        StoredSchedule row(Instant now) {
            Instant next = schedule.paused() ? null : recurrence.nextAfter(now).orElse(null);
            return new StoredSchedule(schedule.name(), schedule.expression(), schedule.timeZone().getId(), job.kind(),
                    job.argsJson(), job.queue(), job.priority(), job.maxAttempts(), job.tags(), job.metadataJson(),
                    !schedule.paused(), dbName(schedule.misfirePolicy()), schedule.misfireLimit(),
                    dbName(schedule.overlapPolicy()), next, null);
        }
    }

    private Definition define(Schedule schedule) {
        Objects.requireNonNull(schedule, "schedule");
        return new Definition(schedule, prepare.apply(schedule.job()),
                CronSyntax.parse(schedule.expression(), schedule.timeZone()));
    }

    @Override
    public boolean pause(String name) {
        return call("pause schedule '" + name + "'", () -> store.inTransaction(connection -> pause(connection, name)));
    }

    /**
     * {@link #pause(String)} in the transaction on {@code connection}: an operator's pause, with its audit entry.
     * The firer is woken at its commit.
     */
    public boolean pause(Connection connection, String name) {
        return store.pause(connection, name);
    }

    @Override
    public boolean resume(String name) {
        return call("resume schedule '" + name + "'", () -> store.inTransaction(connection -> resume(connection, name)));
    }

    /**
     * {@link #resume(String)} in the transaction on {@code connection}: an operator's resume, with its audit
     * entry. The schedule continues from its next fire time after the database's now, and the firer is woken at
     * the commit.
     */
    public boolean resume(Connection connection, String name) {
        Optional<StoredSchedule> schedule = store.lock(connection, name);
        if (schedule.isEmpty()) {
            return false;
        }
        Instant next = recurrence(schedule.get()).nextAfter(store.now(connection)).orElse(null);
        store.resume(connection, name, next);
        return true;
    }

    @Override
    public boolean delete(String name) {
        return call("delete schedule '" + name + "'", () -> store.delete(name));
    }

    @Override
    public Optional<Long> triggerNow(String name) {
        Optional<Triggered> triggered = call("trigger schedule '" + name + "'",
                () -> store.inTransaction(connection -> triggerNow(connection, name)));
        triggered.ifPresent(this::committed);
        return triggered.map(Triggered::id);
    }

    /** A job enqueued by {@code triggerNow} in a transaction: {@link #committed} reports it once that commits. */
    public record Triggered(NewJob job, EnqueueResult result) {
        public long id() {
            return result.id();
        }
    }

    /**
     * {@link #triggerNow(String)} in the transaction on {@code connection} (an operator's trigger, with its audit
     * entry): the job is inserted and recorded as a manual run; empty when there is no such schedule. The caller
     * reports the job with {@link #committed} once the transaction has committed.
     */
    public Optional<Triggered> triggerNow(Connection connection, String name) throws SQLException {
        Optional<StoredSchedule> schedule = store.lock(connection, name);
        if (schedule.isEmpty()) {
            return Optional.empty();
        }
        Instant now = store.now(connection);
        NewJob job = FiredJobs.triggered(schedule.get(), now);
        EnqueueResult result = jobs.insert(connection, List.of(job)).getFirst();
        store.recordRuns(connection, name, List.of(new ScheduleStore.Run(result.id(), now, true)));
        return Optional.of(new Triggered(job, result));
    }

    /**
     * Reports a triggered job once its transaction has committed: it counts as enqueued (metrics and
     * JobEnqueued) like any other, and a job that was rolled back is never reported.
     */
    public void committed(Triggered triggered) {
        telemetry.enqueued(List.of(triggered.job()), List.of(triggered.result()));
    }

    @Override
    public Optional<ScheduleInfo> get(String name) {
        return infos(call("read schedule '" + name + "'", () -> store.list(Objects.requireNonNull(name, "name"))))
                .stream().findFirst();
    }

    @Override
    public List<ScheduleInfo> list() {
        return infos(call("list schedules", () -> store.list(null)));
    }

    private static List<ScheduleInfo> infos(ScheduleStore.Listing listing) {
        return listing.schedules().stream()
                .map(r -> toInfo(r, listing.now(), listing.runs().getOrDefault(r.name(), List.of()))).toList();
    }

    /**
     * A stored schedule with the fire times that follow its pending one. A row written around pgjobs' validation
     * (by hand, or by a pgjobs version that accepted what this one rejects) is listed with why it cannot fire,
     * as the firer logs it, rather than failing the whole listing.
     */
    private static ScheduleInfo toInfo(StoredSchedule r, Instant now, List<ScheduleRun> runs) {
        Instant nextFireAt = r.nextFireAt();
        String description;
        List<Instant> nextFireTimes = List.of();
        try {
            Recurrence recurrence = recurrence(r);
            description = recurrence.description();
            if (nextFireAt != null) {
                // as FirePlan continues: from the pending time, or from now once that time is a misfire
                Instant from = nextFireAt.isBefore(now.minus(FirePlan.MISFIRE_THRESHOLD)) ? now : nextFireAt;
                nextFireTimes = Stream.concat(Stream.of(nextFireAt),
                        recurrence.nextFireTimes(from, NEXT_FIRE_TIMES - 1).stream()).toList();
            }
        } catch (IllegalArgumentException | DateTimeException unreadable) {
            description = "cannot fire: " + unreadable.getMessage();
        }
        return new ScheduleInfo(r.name(), r.expression(), description, zone(r.timeZone()), r.kind(), r.queue(),
                r.argsJson(), nextFireAt, r.lastFireAt(), nextFireTimes, !r.enabled(), misfirePolicy(r),
                r.misfireLimit(), overlapPolicy(r), runs);
    }

    private static ZoneId zone(String id) {
        try {
            return ZoneId.of(id);
        } catch (DateTimeException notAZone) {
            return null; // the description says why such a schedule cannot fire
        }
    }

    static MisfirePolicy misfirePolicy(StoredSchedule schedule) {
        return MisfirePolicy.valueOf(schedule.misfirePolicy().toUpperCase(Locale.ROOT));
    }

    static OverlapPolicy overlapPolicy(StoredSchedule schedule) {
        return OverlapPolicy.valueOf(schedule.overlapPolicy().toUpperCase(Locale.ROOT));
    }

    static Recurrence recurrence(StoredSchedule schedule) {
        return CronSyntax.parse(schedule.expression(), ZoneId.of(schedule.timeZone()));
    }

    private static String dbName(Enum<?> policy) {
        return policy.name().toLowerCase(Locale.ROOT);
    }
}
