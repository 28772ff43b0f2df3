package io.pgjobs.internal.cron;

import static io.pgjobs.internal.store.Sql.call;

import io.pgjobs.EnqueueResult;
import io.pgjobs.JobRequest;
import io.pgjobs.Schedule;
import io.pgjobs.Schedule.MisfirePolicy;
import io.pgjobs.Schedule.OverlapPolicy;
import io.pgjobs.ScheduleClient;
import io.pgjobs.ScheduleInfo;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.JobWriter;
import io.pgjobs.internal.store.NewJob;
import io.pgjobs.internal.store.ScheduleStore;
import io.pgjobs.internal.store.StoredSchedule;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The {@link ScheduleClient}. A schedule's job is validated and serialized like any enqueued job (through
 * {@code prepare}, the job client's own), and stored ready to insert.
 */
public final class DefaultScheduleClient implements ScheduleClient {
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
        return call("pause schedule '" + name + "'", () -> store.pause(name));
    }

    @Override
    public boolean resume(String name) {
        return call("resume schedule '" + name + "'", () -> store.inTransaction(connection -> {
            Optional<StoredSchedule> schedule = store.lock(connection, name);
            if (schedule.isEmpty()) {
                return false;
            }
            Instant next = recurrence(schedule.get()).nextAfter(store.now(connection)).orElse(null);
            store.resume(connection, name, next);
            return true;
        }));
    }

    @Override
    public boolean delete(String name) {
        return call("delete schedule '" + name + "'", () -> store.delete(name));
    }

    @Override
    public Optional<Long> triggerNow(String name) {
        record Triggered(NewJob job, EnqueueResult result) {}
        Optional<Triggered> triggered = call("trigger schedule '" + name + "'",
                () -> store.inTransaction(connection -> {
                    Optional<StoredSchedule> schedule = store.lock(connection, name);
                    if (schedule.isEmpty()) {
                        return Optional.<Triggered>empty();
                    }
                    Instant now = store.now(connection);
                    NewJob job = FiredJobs.triggered(schedule.get(), now);
                    EnqueueResult result = jobs.insert(connection, List.of(job)).getFirst();
                    store.recordRuns(connection, name, List.of(new ScheduleStore.Run(result.id(), now, true)));
                    return Optional.of(new Triggered(job, result));
                }));
        // after the commit: the job counts as enqueued (metrics and JobEnqueued) like any other
        triggered.ifPresent(t -> telemetry.enqueued(List.of(t.job()), List.of(t.result())));
        return triggered.map(t -> t.result().id());
    }

    @Override
    public Optional<ScheduleInfo> get(String name) {
        return call("read schedule '" + name + "'", () -> store.get(name)).map(DefaultScheduleClient::toInfo);
    }

    @Override
    public List<ScheduleInfo> list() {
        return call("list schedules", store::list).stream().map(DefaultScheduleClient::toInfo).toList();
    }

    private static ScheduleInfo toInfo(StoredSchedule r) {
        return new ScheduleInfo(r.name(), r.expression(), recurrence(r).description(), ZoneId.of(r.timeZone()),
                r.kind(), r.queue(), r.nextFireAt(), r.lastFireAt(), !r.enabled(), misfirePolicy(r), r.misfireLimit(),
                overlapPolicy(r));
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
