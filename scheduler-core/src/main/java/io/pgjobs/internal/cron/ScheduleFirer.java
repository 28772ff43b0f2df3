package io.pgjobs.internal.cron;

import io.pgjobs.EnqueueResult;
import io.pgjobs.Schedule.OverlapPolicy;
import io.pgjobs.SchedulerEvent;
import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.JobWriter;
import io.pgjobs.internal.store.NewJob;
import io.pgjobs.internal.store.ScheduleStore;
import io.pgjobs.internal.store.StoredSchedule;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Fires due schedules. Each round reads the enabled schedules by next fire time (with the schedules' clock, the
 * database's unless a test moved it: {@link ScheduleStore#now}), fires the due ones, and sleeps until the next
 * one is due, at most the poll interval; a change to any schedule wakes it early. Only the leader fires
 * ({@code isLeader}), but correctness never rests on that: a fire moves the schedule's next fire time with a
 * compare-and-set and enqueues in the same transaction, and every job carries the idempotency key of its fire
 * time, so two nodes that both believe they lead still enqueue each fire time once. The same transaction records each new job as a run of the schedule. Fires and
 * misfires are reported to {@link Telemetry} once their transaction committed.
 */
public final class ScheduleFirer extends BackgroundLoop {
    private static final int BATCH = 100;

    private final ScheduleStore store;
    private final JobWriter jobs;
    private final Duration maxWait;
    private final BooleanSupplier isLeader;
    private final Telemetry telemetry;
    private final Function<StoredSchedule, Recurrence> recurrences;

    /** {@code maxWait}: the longest it sleeps without a change (the poll interval). */
    public ScheduleFirer(ScheduleStore store, JobWriter jobs, Duration maxWait, BooleanSupplier isLeader,
                         Telemetry telemetry) {
        this(store, jobs, maxWait, isLeader, telemetry, DefaultScheduleClient::recurrence);
    }

    /** With {@code recurrences} reading each schedule's expression (tests pass one that fails). */
    ScheduleFirer(ScheduleStore store, JobWriter jobs, Duration maxWait, BooleanSupplier isLeader,
                  Telemetry telemetry, Function<StoredSchedule, Recurrence> recurrences) {
        super("pgjobs-cron");
        this.recurrences = recurrences;
        this.store = store;
        this.jobs = jobs;
        this.maxWait = maxWait;
        this.isLeader = isLeader;
        this.telemetry = telemetry;
    }

    @Override
    protected Duration runOnce() throws SQLException {
        if (!isLeader.getAsBoolean()) {
            return maxWait;
        }
        ScheduleStore.Due due = store.due(BATCH);
        int fired = 0;
        for (StoredSchedule schedule : due.schedules()) {
            if (fire(schedule, due.now(), due.clockAhead())) {
                fired++;
            }
        }
        if (fired > 0) {
            return Duration.ZERO; // more may be due: the next fire time of a catching-up schedule, or the next batch
        }
        if (due.nextFireAt() == null) {
            return maxWait;
        }
        // rounded up to the millisecond, so the loop does not wake a fraction too early and spin
        long nanos = Duration.between(due.now(), due.nextFireAt()).toNanos();
        Duration untilNext = Duration.ofMillis((nanos + 999_999) / 1_000_000);
        return untilNext.compareTo(maxWait) < 0 ? untilNext : maxWait;
    }

    /**
     * Fires one due schedule; returns false when it could not (another node was first, or it is unreadable).
     * {@code now} is the schedules' clock, {@code clockAhead} how far it is ahead of the jobs' (see
     * {@link ScheduleStore#now}).
     */
    private boolean fire(StoredSchedule schedule, Instant now, Duration clockAhead) throws SQLException {
        String name = schedule.name();
        Instant scheduled = schedule.nextFireAt();
        FirePlan plan;
        try {
            plan = FirePlan.of(recurrences.apply(schedule), scheduled, now,
                    DefaultScheduleClient.misfirePolicy(schedule), schedule.misfireLimit());
        } catch (RuntimeException e) {
            // A row written around pgjobs' validation, or a recurrence that fails: this schedule stays due and is
            // reported every round, and the other schedules still fire.
            log.error("schedule '{}' cannot fire: {}", name, e.toString());
            return false;
        }
        boolean skipOverlap = DefaultScheduleClient.overlapPolicy(schedule) == OverlapPolicy.SKIP;
        Fired fired = store.inTransaction(connection -> {
            List<Instant> fireTimes = plan.fireTimes();
            if (skipOverlap && !fireTimes.isEmpty() && store.hasUnfinishedJob(connection, name)) {
                log.info("schedule '{}': skipping fire time {} because its previous job has not finished", name,
                        scheduled);
                fireTimes = List.of();
            }
            Instant lastFireAt = fireTimes.isEmpty() ? schedule.lastFireAt() : fireTimes.getLast();
            if (!store.advance(connection, name, scheduled, plan.next(), lastFireAt)) {
                log.debug("schedule '{}': fire time {} was taken by another node or a change", name, scheduled);
                return null;
            }
            List<SchedulerEvent> happened = new ArrayList<>();
            if (plan.misfired()) {
                log.warn("schedule '{}' missed its fire time {} (now {}); policy {} enqueued {} job(s), next fire {}",
                        name, scheduled, now, schedule.misfirePolicy(), fireTimes.size(), plan.next());
                happened.add(new SchedulerEvent.ScheduleMisfired(name, scheduled, fireTimes.contains(scheduled)));
            }
            List<NewJob> firedJobs = fireTimes.stream().map(t -> FiredJobs.timetabled(schedule, t, clockAhead))
                    .toList();
            List<EnqueueResult> results = firedJobs.isEmpty() ? List.of() : jobs.insert(connection, firedJobs);
            List<ScheduleStore.Run> runs = new ArrayList<>();
            for (int i = 0; i < results.size(); i++) {
                // a duplicate key means an earlier fire already enqueued this time's job: nothing new fired
                if (!results.get(i).duplicate()) {
                    happened.add(new SchedulerEvent.ScheduleFired(name, fireTimes.get(i), results.get(i).id()));
                    runs.add(new ScheduleStore.Run(results.get(i).id(), fireTimes.get(i), false));
                }
            }
            store.recordRuns(connection, name, runs);
            return new Fired(firedJobs, results, happened);
        });
        if (fired == null) {
            return false;
        }
        // after the commit: the jobs count as enqueued (metrics and JobEnqueued) like any other
        telemetry.enqueued(fired.jobs(), fired.results());
        fired.events().forEach(telemetry::publish);
        return true;
    }

    /** What one committed fire did: the jobs it inserted, their results, and its schedule events. */
    private record Fired(List<NewJob> jobs, List<EnqueueResult> results, List<SchedulerEvent> events) {}
}
