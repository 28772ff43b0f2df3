package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Cron schedules end to end through the public API: sync, management, precision, overlap, misfires, DST. */
class CronScheduleTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @JobKind("test.cron")
    record Tick(String note) {}

    private final List<Scheduler> schedulers = new ArrayList<>();

    @BeforeEach
    void clean() throws Exception {
        db.execute("delete from pgjobs.jobs; delete from pgjobs.schedules");
    }

    @AfterEach
    void stop() {
        schedulers.forEach(Scheduler::close);
    }

    private Scheduler started(Scheduler.Builder builder) {
        Scheduler scheduler = builder.build();
        schedulers.add(scheduler);
        scheduler.start();
        return scheduler;
    }

    private long count(String sql) throws Exception {
        return db.queryLong(sql);
    }

    private List<Instant> fireTimes(String schedule) throws Exception {
        List<Instant> times = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select metadata->>'pgjobs.fire_time' from pgjobs.jobs "
                     + "where metadata->>'pgjobs.schedule' = '" + schedule + "' order by 1")) {
            while (rs.next()) {
                times.add(Instant.parse(rs.getString(1)));
            }
        }
        return times;
    }

    @Test
    void declaredSchedulesAreCreatedOrUpdatedAtStartAndNeverDuplicated() throws Exception {
        Schedule hourly = Schedule.of("report", "@hourly", JobRequest.of(new Tick("v1")));
        Scheduler first = started(Scheduler.builder(db.dataSource()).schedule(hourly));
        Instant next = first.client().schedules().get("report").orElseThrow().nextFireAt();
        first.client().schedules().upsert(Schedule.of("made-at-run-time", "every 1h", JobRequest.of(new Tick("x"))));
        first.close();

        Scheduler second = started(Scheduler.builder(db.dataSource())
                .schedule(Schedule.of("report", "@hourly", JobRequest.of(new Tick("v2")).queue("reports")))
                .schedule(Schedule.of("cleanup", "0 3 * * *", "test.cleanup", Map.of())));
        ScheduleClient schedules = second.client().schedules();
        assertThat(count("select count(*) from pgjobs.schedules")).isEqualTo(3);
        ScheduleInfo report = schedules.get("report").orElseThrow();
        assertThat(report.nextFireAt()).as("unchanged timing keeps the pending fire").isEqualTo(next);
        assertThat(report.queue()).isEqualTo("reports");
        assertThat(count("select count(*) from pgjobs.schedules where args->>'note' = 'v2'")).isEqualTo(1);
        schedules.pause("report");
        second.close();

        Scheduler third = started(Scheduler.builder(db.dataSource())
                .schedule(Schedule.of("report", "0 0 12 * * ?", JobRequest.of(new Tick("v3")))));
        assertThat(third.client().schedules().list()).extracting(ScheduleInfo::name)
                .as("schedules no longer declared are left alone").containsExactly("cleanup", "made-at-run-time", "report");
        ScheduleInfo changed = third.client().schedules().get("report").orElseThrow();
        assertThat(changed.expression()).isEqualTo("0 0 12 * * ?");
        assertThat(changed.paused()).as("a restart does not undo a pause").isTrue();
        assertThat(changed.nextFireAt()).isNull();
        third.client().schedules().resume("report");
        assertThat(third.client().schedules().get("report").orElseThrow().nextFireAt())
                .as("the new expression's next noon UTC").matches(t -> t.toString().endsWith("T12:00:00Z"));

        assertThatThrownBy(() -> Scheduler.builder(db.dataSource()).schedule(hourly).schedule(hourly))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("schedule 'report' is declared twice");
    }

    @Test
    void theClientManagesSchedulesAtRunTime() throws Exception {
        Scheduler scheduler = started(Scheduler.builder(db.dataSource()));
        ScheduleClient schedules = scheduler.client().schedules();
        schedules.upsert(Schedule.of("berlin-noon", "0 12 * * MON-FRI", JobRequest.of(new Tick("noon")).priority(2)
                        .tags("cron").metadata("team", "data"))
                .timeZone("Europe/Berlin").misfire(Schedule.MisfirePolicy.FIRE_ALL).misfireLimit(3)
                .overlap(Schedule.OverlapPolicy.SKIP));
        Instant dbNow = Instant.ofEpochMilli(count("select (extract(epoch from now()) * 1000)::bigint"));

        ScheduleInfo info = schedules.get("berlin-noon").orElseThrow();
        assertThat(info.description()).isEqualTo("at 12:00 every day between Monday and Friday");
        assertThat(info.timeZone()).isEqualTo(ZoneId.of("Europe/Berlin"));
        assertThat(info.kind()).isEqualTo("test.cron");
        assertThat(info.nextFireAt()).isAfter(dbNow);
        assertThat(info.nextFireAt().atZone(ZoneId.of("Europe/Berlin")).getHour()).isEqualTo(12);
        assertThat(info.lastFireAt()).isNull();
        assertThat(info.paused()).isFalse();
        assertThat(info.misfirePolicy()).isEqualTo(Schedule.MisfirePolicy.FIRE_ALL);
        assertThat(info.misfireLimit()).isEqualTo(3);
        assertThat(info.overlapPolicy()).isEqualTo(Schedule.OverlapPolicy.SKIP);

        assertThat(schedules.pause("berlin-noon")).isTrue();
        assertThat(schedules.get("berlin-noon").orElseThrow()).matches(ScheduleInfo::paused)
                .matches(s -> s.nextFireAt() == null);
        assertThat(schedules.resume("berlin-noon")).isTrue();
        assertThat(schedules.get("berlin-noon").orElseThrow().nextFireAt()).isEqualTo(info.nextFireAt());

        long jobId = schedules.triggerNow("berlin-noon").orElseThrow();
        Job job = scheduler.client().get(jobId).orElseThrow();
        assertThat(job.kind()).isEqualTo("test.cron");
        assertThat(job.priority()).isEqualTo(2);
        assertThat(job.tags()).containsExactly("cron");
        assertThat(job.metadata()).contains("\"team\": \"data\"", "\"pgjobs.schedule\": \"berlin-noon\"",
                "\"pgjobs.trigger\": \"manual\"", "\"pgjobs.fire_time\"");
        assertThat(scheduler.client().args(job, Tick.class)).isEqualTo(new Tick("noon"));
        assertThat(schedules.get("berlin-noon").orElseThrow().nextFireAt()).isEqualTo(info.nextFireAt());

        assertThat(schedules.delete("berlin-noon")).isTrue();
        assertThat(schedules.get("berlin-noon")).isEmpty();
        assertThat(scheduler.client().get(jobId)).as("jobs already enqueued stay").isPresent();
        assertThat(schedules.delete("berlin-noon")).isFalse();
        assertThat(schedules.pause("berlin-noon")).isFalse();
        assertThat(schedules.resume("berlin-noon")).isFalse();
        assertThat(schedules.triggerNow("berlin-noon")).isEmpty();
    }

    @Test
    void badDefinitionsAreRejectedWhereTheyAreWritten() {
        assertThatThrownBy(() -> Schedule.of("bad", "0 0 25 * * ?", "k", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hour field '25'").hasMessageContaining("Value 25 not in range [0, 23]");
        assertThatThrownBy(() -> Schedule.of("bad", "@daily", JobRequest.of("k", Map.of()).idempotencyKey("x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("job: ");
        assertThatThrownBy(() -> Schedule.of("bad", "@daily", "k", Map.of()).timeZone("Mars/Olympus"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("timeZone: 'Mars/Olympus'");
        assertThatThrownBy(() -> Schedule.of("bad", "@daily", "k", Map.of()).misfireLimit(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("misfireLimit: ");
        assertThatThrownBy(() -> Schedule.of(" ", "@daily", "k", Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("name: ");
        assertThatThrownBy(() -> Schedule.of("february-30", "0 0 30 2 *", "k", Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("can never fire");
        Schedule daily = Schedule.of("fine", "@daily", "k", Map.of());
        assertThatThrownBy(() -> daily.nextFireTimes(null, 1)).hasMessageStartingWith("after: ");
        assertThatThrownBy(() -> daily.nextFireTimes(Instant.MAX, 1)).hasMessageStartingWith("after: ");
        assertThatThrownBy(() -> daily.nextFireTimes(Instant.EPOCH, 0)).hasMessageStartingWith("count: ");
        assertThatThrownBy(() -> daily.nextFireTimes(Instant.EPOCH, Schedule.MAX_PREVIEW + 1))
                .hasMessageStartingWith("count: ");
    }

    /** The example of {@link Schedule#nextFireTimes}' Javadoc. */
    @Test
    void nextFireTimesPreviewsASchedulesTimesWithoutADatabase() {
        Schedule payroll = Schedule.of("payroll", "0 0 12 31W * ?", "payroll.run", Map.of()).timeZone("Europe/Berlin");
        assertThat(payroll.nextFireTimes(Instant.parse("2025-05-01T00:00:00Z"), 3)).containsExactly(
                Instant.parse("2025-05-30T10:00:00Z"),   // the 31st is a Saturday: Friday the 30th
                Instant.parse("2025-07-31T10:00:00Z"),   // June has no 31st: no fire
                Instant.parse("2025-08-29T10:00:00Z"));  // the 31st is a Sunday, the month's last day: Friday
        assertThat(Schedule.of("past", "0 0 12 * * ? 2020", "k", Map.of())
                .nextFireTimes(Instant.parse("2025-01-01T00:00:00Z"), 3)).isEmpty();
    }

    /**
     * The client's listing, the operator API (the dashboard's source) and {@link Schedule#nextFireTimes} show the
     * fire times the firer uses, for every syntax: Quartz's day-of-week 2 is Monday (Spring's would be Tuesday),
     * Spring's steps count from Monday, and macros, intervals and wrapping ranges have fire times too.
     */
    @Test
    void listingsShowTheFireTimesTheFirerUses() throws Exception {
        Scheduler scheduler = Scheduler.builder(db.dataSource()).build();
        schedulers.add(scheduler);
        List<Schedule> definitions = List.of(
                Schedule.of("quartz-monday", "0 0 12 ? * 2", JobRequest.of(new Tick("q"))),
                Schedule.of("spring-steps", "spring: 0 0 12 * * */2", JobRequest.of(new Tick("s"))),
                Schedule.of("macro", "@daily", JobRequest.of(new Tick("m"))).timeZone("Europe/Berlin"),
                Schedule.of("interval", "every 5m", JobRequest.of(new Tick("i"))),
                Schedule.of("wrapping", "0 0 22-2 * * ?", JobRequest.of(new Tick("w"))));
        definitions.forEach(scheduler.client().schedules()::upsert);

        List<ScheduleInfo> listed = scheduler.admin().schedules();
        assertThat(listed).isEqualTo(scheduler.client().schedules().list());
        for (Schedule definition : definitions) {
            ScheduleInfo info = listed.stream().filter(s -> s.name().equals(definition.name())).findFirst().orElseThrow();
            assertThat(info.nextFireTimes()).as(definition.name()).hasSize(5).startsWith(info.nextFireAt())
                    .isEqualTo(definition.nextFireTimes(info.nextFireAt().minusSeconds(1), 5));
        }
        ScheduleInfo monday = listed.stream().filter(s -> s.name().equals("quartz-monday")).findFirst().orElseThrow();
        assertThat(monday.nextFireTimes()).allMatch(t -> t.atZone(ZoneOffset.UTC).getDayOfWeek() == DayOfWeek.MONDAY);
        ScheduleInfo steps = listed.stream().filter(s -> s.name().equals("spring-steps")).findFirst().orElseThrow();
        assertThat(steps.nextFireTimes()).extracting(t -> t.atZone(ZoneOffset.UTC).getDayOfWeek())
                .isSubsetOf(DayOfWeek.MONDAY, DayOfWeek.WEDNESDAY, DayOfWeek.FRIDAY, DayOfWeek.SUNDAY);
        assertThat(steps.description()).isEqualTo("at 12:00 at Monday, Wednesday, Friday and Sunday days");

        scheduler.client().schedules().pause("macro");
        assertThat(scheduler.admin().schedules()).filteredOn(s -> s.name().equals("macro")).singleElement()
                .matches(ScheduleInfo::paused).matches(s -> s.nextFireTimes().isEmpty(), "no fire times while paused");
    }

    @Test
    void aBadDeclaredScheduleFailsTheStartAndWritesNone() throws Exception {
        Scheduler scheduler = Scheduler.builder(db.dataSource())
                .maxArgsBytes(100)
                .schedule(Schedule.of("fine", "@daily", JobRequest.of(new Tick("small"))))
                .schedule(Schedule.of("too-big", "@daily", JobRequest.of(new Tick("x".repeat(200)))))
                .build();
        schedulers.add(scheduler);
        assertThatThrownBy(scheduler::start).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("over the limit of 100 bytes");
        assertThat(count("select count(*) from pgjobs.schedules")).isZero();
    }

    /** Precision: with polling every 10 s, an every-second schedule still fires within a second of each time. */
    @Test
    void firesWithinOneSecondOfItsTime() throws Exception {
        Scheduler scheduler = started(Scheduler.builder(db.dataSource())
                .pollInterval(Duration.ofSeconds(10))
                .queue("default", 4)
                .handler(Tick.class, ctx -> null));
        scheduler.client().schedules().upsert(Schedule.of("every-second", "*/1 * * * * ?", JobRequest.of(new Tick("s"))));
        Await.until(Duration.ofSeconds(30), "eight fires", () -> fireTimes("every-second").size() >= 8);
        scheduler.client().schedules().pause("every-second");

        List<Long> lagsMicros = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select (extract(epoch from created_at - (metadata->>'pgjobs.fire_time')"
                     + "::timestamptz) * 1e6)::bigint from pgjobs.jobs order by id")) {
            while (rs.next()) {
                lagsMicros.add(rs.getLong(1));
            }
        }
        System.out.println("cron fire lag (job created_at - fire time), microseconds: " + lagsMicros);
        assertThat(lagsMicros).hasSizeGreaterThanOrEqualTo(8).allSatisfy(lag ->
                assertThat(lag).isBetween(0L, 1_000_000L));
        List<Instant> times = fireTimes("every-second");
        for (int i = 1; i < times.size(); i++) {
            assertThat(Duration.between(times.get(i - 1), times.get(i))).as("no second skipped").isEqualTo(Duration.ofSeconds(1));
        }
    }

    /**
     * A node that becomes the leader fires at once: its firer, asleep for the poll interval while the node
     * followed, is woken by the election (it slept on, and a schedule fired up to a poll interval late).
     */
    @Test
    void aNewLeaderFiresWithoutWaitingOutItsPollInterval() throws Exception {
        Scheduler first = started(Scheduler.builder(db.dataSource()).nodeId("first-leader"));
        Await.until(Duration.ofSeconds(30), "the first node leads", first::isLeader);
        Scheduler second = started(Scheduler.builder(db.dataSource()).nodeId("next-leader")
                .pollInterval(Duration.ofSeconds(120))
                .schedule(Schedule.of("every-second", "every 1s", JobRequest.of(new Tick("s")))));
        first.close();
        Await.until(Duration.ofSeconds(30), "the second node leads", second::isLeader);
        long before = count("select count(*) from pgjobs.jobs");
        Await.until(Duration.ofSeconds(20), "the new leader fired", () -> count("select count(*) from pgjobs.jobs") > before);
    }

    /**
     * A schedule change whose notification was sent while the listener did not listen (its session had ended,
     * or it had not yet started to listen) still fires on time: listening again wakes the firer (it slept on, up
     * to a poll interval).
     */
    @Test
    void aChangeMadeWhileTheListenerReconnectsStillWakesTheFirer() throws Exception {
        String listening = "from pg_stat_activity where datname = current_database() and query like 'LISTEN%'";
        Scheduler scheduler = started(Scheduler.builder(db.dataSource()).pollInterval(Duration.ofSeconds(120))
                .queue("default", 1).handler(Tick.class, ctx -> null));
        scheduler.client().schedules().upsert(Schedule.of("yearly", "@yearly", JobRequest.of(new Tick("y"))));
        Await.until(Duration.ofSeconds(30), "it leads and listens",
                () -> scheduler.isLeader() && count("select count(*) " + listening) == 1);
        // the change commits, and notifies, between the listener's sessions: the notification reaches no one
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("update pgjobs.schedules set next_fire_at = now() where name = 'yearly'");
            s.execute("select pg_notify('pgjobs_pgjobs', 's:yearly')");
            assertThat(count("select count(pg_terminate_backend(pid)) " + listening)).isOne();
            c.commit();
        }
        Await.until(Duration.ofSeconds(20), "it fired", () -> !fireTimes("yearly").isEmpty());
    }

    @Test
    void overlapSkipWaitsForThePreviousRunWhileAllowDoesNot() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Scheduler scheduler = started(Scheduler.builder(db.dataSource())
                .queue("default", 10)
                .handler(Tick.class, ctx -> {
                    release.await(60, TimeUnit.SECONDS);
                    return null;
                }));
        ScheduleClient schedules = scheduler.client().schedules();
        schedules.upsert(Schedule.of("skip", "every 1s", JobRequest.of(new Tick("skip"))).overlap(Schedule.OverlapPolicy.SKIP));
        schedules.upsert(Schedule.of("allow", "every 1s", JobRequest.of(new Tick("allow"))));
        Await.until(Duration.ofSeconds(10), "the first 'skip' job runs",
                () -> count("select count(*) from pgjobs.jobs where state = 'running' and metadata->>'pgjobs.schedule' = 'skip'") == 1);
        Instant firstSkip = fireTimes("skip").getFirst();
        Await.until(Duration.ofSeconds(15), "three more fire times of 'skip' passed", () ->
                count("select count(*) from pgjobs.schedules where name = 'skip' and next_fire_at >= '" + firstSkip
                        + "'::timestamptz + interval '4 seconds'") == 1);
        assertThat(fireTimes("skip")).as("no new job while the first runs").containsExactly(firstSkip);
        assertThat(schedules.get("skip").orElseThrow().lastFireAt()).isEqualTo(firstSkip);
        // the firer may lag behind 'skip''s fire times on a busy machine; what matters is that 'allow' keeps
        // firing while 'skip''s first job still runs
        Await.until(Duration.ofSeconds(30), "'allow' kept firing while the first 'skip' job ran",
                () -> fireTimes("allow").size() >= 3);
        assertThat(fireTimes("skip")).as("still no new 'skip' job while the first runs").containsExactly(firstSkip);

        release.countDown();
        Await.until(Duration.ofSeconds(10), "'skip' fires again once its job finished", () -> fireTimes("skip").size() >= 2);
    }

    @Test
    void missedFireTimesFollowTheMisfirePolicy() throws Exception {
        Scheduler scheduler = Scheduler.builder(db.dataSource()).build();
        ScheduleClient schedules = scheduler.client().schedules();
        schedules.upsert(Schedule.of("once", "every 1m", JobRequest.of(new Tick("once"))));
        schedules.upsert(Schedule.of("skip", "every 1m", JobRequest.of(new Tick("skip"))).misfire(Schedule.MisfirePolicy.SKIP));
        schedules.upsert(Schedule.of("all", "* * * * *", JobRequest.of(new Tick("all")))
                .misfire(Schedule.MisfirePolicy.FIRE_ALL).misfireLimit(5));
        // the cluster was down for an hour
        db.execute("update pgjobs.schedules set next_fire_at = date_trunc('minute', now()) - interval '60 minutes'");
        Instant missed = Instant.ofEpochSecond(count("select extract(epoch from min(next_fire_at))::bigint from pgjobs.schedules"));
        started(Scheduler.builder(db.dataSource()));
        Await.until(Duration.ofSeconds(10), "every schedule moved past now",
                () -> count("select count(*) from pgjobs.schedules where next_fire_at > now()") == 3);

        assertThat(fireTimes("once")).containsExactly(missed);
        assertThat(fireTimes("skip")).isEmpty();
        assertThat(schedules.get("skip").orElseThrow().lastFireAt()).isNull();
        assertThat(fireTimes("all")).containsExactly(missed, missed.plusSeconds(60), missed.plusSeconds(120),
                missed.plusSeconds(180), missed.plusSeconds(240));
        assertThat(schedules.get("all").orElseThrow().lastFireAt()).isEqualTo(missed.plusSeconds(240));
        assertThat(count("select count(*) from pgjobs.schedules where next_fire_at <= now() + interval '1 minute'"))
                .as("each continues with the next future time").isEqualTo(3);
    }

    @Test
    void eachScheduleKeepsItsTenNewestRunsWhetherTimetabledOrTriggered() throws Exception {
        Scheduler scheduler = Scheduler.builder(db.dataSource()).build();
        ScheduleClient schedules = scheduler.client().schedules();
        schedules.upsert(Schedule.of("minutely", "* * * * *", JobRequest.of(new Tick("m")))
                .misfire(Schedule.MisfirePolicy.FIRE_ALL).misfireLimit(12));
        schedules.upsert(Schedule.of("other", "0 3 * * *", JobRequest.of(new Tick("o"))));
        db.execute("update pgjobs.schedules set next_fire_at = date_trunc('minute', now()) - interval '60 minutes'"
                + " where name = 'minutely'");
        started(Scheduler.builder(db.dataSource()));
        Await.until(Duration.ofSeconds(10), "the missed minutes fired",
                () -> count("select count(*) from pgjobs.schedules where name = 'minutely' and next_fire_at > now()") == 1);
        assertThat(fireTimes("minutely")).hasSize(12);
        long triggered = schedules.triggerNow("minutely").orElseThrow();
        long otherTriggered = schedules.triggerNow("other").orElseThrow();

        assertThat(count("select count(*) from pgjobs.schedule_runs where schedule = 'minutely'")).isEqualTo(10);
        // the newest ten jobs of the schedule, each with its fire time, the trigger marked manual
        assertThat(count("""
                select count(*) from (select id from pgjobs.jobs where metadata->>'pgjobs.schedule' = 'minutely'
                                      order by id desc limit 10) newest
                join pgjobs.schedule_runs r on r.job_id = newest.id and r.schedule = 'minutely'
                join pgjobs.jobs j on j.id = r.job_id
                where r.fire_time = (j.metadata->>'pgjobs.fire_time')::timestamptz
                  and r.manual = (j.metadata->>'pgjobs.trigger' is not null)
                """)).isEqualTo(10);
        assertThat(count("select job_id from pgjobs.schedule_runs where manual and schedule = 'minutely'")).isEqualTo(triggered);
        assertThat(count("select job_id from pgjobs.schedule_runs where schedule = 'other'")).isEqualTo(otherTriggered);

        assertThat(schedules.delete("minutely")).isTrue();
        assertThat(count("select count(*) from pgjobs.schedule_runs")).as("the runs go with their schedule").isOne();
    }

    /** The DST rules through the database: every Sunday of the shift months of 2025 at 01:30 and 02:30. */
    @Test
    void daylightSavingShiftsEndToEnd() throws Exception {
        Scheduler scheduler = Scheduler.builder(db.dataSource()).build();
        ScheduleClient schedules = scheduler.client().schedules();
        schedules.upsert(Schedule.of("new-york", "0 30 1,2 ? 3,11 SUN 2025", JobRequest.of(new Tick("ny")))
                .timeZone("America/New_York").misfire(Schedule.MisfirePolicy.FIRE_ALL).misfireLimit(1000));
        schedules.upsert(Schedule.of("berlin", "0 30 1,2 ? 3,10 SUN 2025", JobRequest.of(new Tick("berlin")))
                .timeZone("Europe/Berlin").misfire(Schedule.MisfirePolicy.FIRE_ALL).misfireLimit(1000));
        assertThat(schedules.list()).allMatch(s -> s.nextFireAt() == null, "2025 is over: no next fire time");
        // as if the schedules had been created before 2025-03-01 and the cluster had been down since
        db.execute("update pgjobs.schedules set next_fire_at = '2025-03-02T06:30:00Z' where name = 'new-york'");
        db.execute("update pgjobs.schedules set next_fire_at = '2025-03-02T00:30:00Z' where name = 'berlin'");
        started(Scheduler.builder(db.dataSource()));
        Await.until(Duration.ofSeconds(10), "both fired their whole year",
                () -> count("select count(*) from pgjobs.schedules where next_fire_at is null") == 2);

        List<Instant> ny = fireTimes("new-york");
        assertThat(ny).hasSize(20).doesNotHaveDuplicates()
                .contains(Instant.parse("2025-03-09T06:30:00Z"), Instant.parse("2025-03-09T07:00:00Z"), // 02:30 at the shift
                        Instant.parse("2025-11-02T05:30:00Z"), Instant.parse("2025-11-02T07:30:00Z"))
                .doesNotContain(Instant.parse("2025-11-02T06:30:00Z")); // the repeated 01:30 EST
        List<Instant> berlin = fireTimes("berlin");
        assertThat(berlin).hasSize(18).doesNotHaveDuplicates()
                .contains(Instant.parse("2025-03-30T00:30:00Z"), Instant.parse("2025-03-30T01:00:00Z"), // 02:30 at the shift
                        Instant.parse("2025-10-25T23:30:00Z"), Instant.parse("2025-10-26T00:30:00Z"))
                .doesNotContain(Instant.parse("2025-10-26T01:30:00Z")); // the repeated 02:30 CET
    }

    @Test
    void theOverlapCheckUsesItsPartialIndex() throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("set enable_seqscan = off");
            StringBuilder plan = new StringBuilder();
            try (ResultSet rs = s.executeQuery("explain select exists (select 1 from pgjobs.jobs "
                    + "where (metadata ->> 'pgjobs.schedule') = 'x' "
                    + "and state in ('scheduled', 'available', 'running', 'retryable'))")) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
            assertThat(plan.toString()).contains("jobs_schedule_unfinished");
        }
    }
}
