package io.pgjobs.internal.cron;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.Schedule;
import io.pgjobs.Schedule.MisfirePolicy;
import io.pgjobs.ScheduleClient;
import io.pgjobs.internal.client.DefaultJobClient;
import io.pgjobs.internal.config.Config;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.Stores;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The firer loop against a real Postgres: two firers at once, a lost connection, start and stop. */
class ScheduleFirerTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private Config config;
    private Stores stores;
    private Telemetry telemetry;
    private DefaultJobClient client;
    private ScheduleClient schedules;
    private ScheduleFirer first;
    private ScheduleFirer second;

    @BeforeEach
    void setUp() throws Exception {
        db.execute("delete from pgjobs.jobs; delete from pgjobs.schedules");
        config = new Config.Builder(db.dataSource()).build();
        stores = Stores.of(config.dataSource(), config.schema(), config.notifyChannel(), config.resultChannel(),
                config.nodeDeadAfter(), config.leaseDuration());
        telemetry = new Telemetry(config.observe(), config.nodeId(), stores.observations());
        client = new DefaultJobClient(config, stores.jobWriter(), stores.jobs(), stores.schedules(), stores.workflows(),
                stores.batches(),
                stores.results(),
                telemetry);
        schedules = client.schedules();
        first = new ScheduleFirer(stores.schedules(), stores.jobWriter(), config.pollInterval(), () -> true, telemetry);
        second = new ScheduleFirer(stores.schedules(), stores.jobWriter(), config.pollInterval(), () -> true, telemetry);
    }

    @AfterEach
    void tearDown() {
        first.stop();
        second.stop();
    }

    private long jobsOf(String schedule) throws Exception {
        return db.queryLong("select count(*) from pgjobs.jobs where metadata->>'pgjobs.schedule' = '" + schedule + "'");
    }

    @Test
    void twoFirersThatBothBelieveTheyLeadEnqueueEachFireTimeOnce() throws Exception {
        int scheduleCount = 5;
        for (int i = 0; i < scheduleCount; i++) {
            schedules.upsert(Schedule.of("s" + i, "every 1s", "test.tick", Map.of("i", i)));
        }
        // 50 fire times already late (under the misfire threshold, so each fires on its own) plus the live ones:
        // both firers race for every one of them
        db.execute("update pgjobs.schedules set next_fire_at = date_trunc('second', now()) - interval '50 seconds'");
        long firstFire = db.queryLong("select extract(epoch from min(next_fire_at))::bigint from pgjobs.schedules");
        first.start();
        second.start();

        Await.until(Duration.ofSeconds(60), "every schedule fired 55 times", () -> db.queryLong(
                "select min(n) from (select count(*) n from pgjobs.jobs group by metadata->>'pgjobs.schedule') c") >= 55
                && db.queryLong("select count(distinct metadata->>'pgjobs.schedule') from pgjobs.jobs") == scheduleCount);
        first.stop();
        second.stop();

        assertThat(db.queryLong("""
                select count(*) from (select 1 from pgjobs.jobs
                                      group by metadata->>'pgjobs.schedule', metadata->>'pgjobs.fire_time'
                                      having count(*) > 1) duplicates""")).as("fire times enqueued twice").isZero();
        for (int i = 0; i < scheduleCount; i++) {
            String name = "s" + i;
            long jobs = jobsOf(name);
            // one job per second from the first fire time to the schedule's last fire, no gaps, none twice
            long span = db.queryLong("select extract(epoch from max((metadata->>'pgjobs.fire_time')::timestamptz) - "
                    + "min((metadata->>'pgjobs.fire_time')::timestamptz))::bigint + 1 from pgjobs.jobs "
                    + "where metadata->>'pgjobs.schedule' = '" + name + "'");
            assertThat(jobs).as(name + " jobs").isEqualTo(span);
            assertThat(db.queryLong("select extract(epoch from min((metadata->>'pgjobs.fire_time')::timestamptz))::bigint "
                    + "from pgjobs.jobs where metadata->>'pgjobs.schedule' = '" + name + "'")).isEqualTo(firstFire);
            assertThat(db.queryLong("select count(*) from pgjobs.jobs j join pgjobs.schedules s "
                    + "on s.name = j.metadata->>'pgjobs.schedule' where s.name = '" + name + "' "
                    + "and j.idempotency_key = 'cron:' || s.name || ':' || (j.metadata->>'pgjobs.fire_time') "
                    + "and j.run_at = (j.metadata->>'pgjobs.fire_time')::timestamptz")).isEqualTo(jobs);
            assertThat(db.queryLong("select count(*) from pgjobs.schedules where name = '" + name + "' and last_fire_at = "
                    + "(select max((metadata->>'pgjobs.fire_time')::timestamptz) from pgjobs.jobs "
                    + "where metadata->>'pgjobs.schedule' = '" + name + "')")).isEqualTo(1);
        }
    }

    /** The second guard on its own: a fire time that passes the compare-and-set again still enqueues once. */
    @Test
    void aFireTimeMovedBackByHandDoesNotEnqueueAgain() throws Exception {
        String fireTime = "(metadata->>'pgjobs.fire_time')::timestamptz";
        schedules.upsert(Schedule.of("rewound", "every 1s", "test.tick", Map.of()));
        first.start();
        Await.until(Duration.ofSeconds(10), "three fires", () -> jobsOf("rewound") >= 3);
        first.stop();
        long fired = jobsOf("rewound");
        long lastFired = db.queryLong("select extract(epoch from max(" + fireTime + "))::bigint from pgjobs.jobs");
        db.execute("update pgjobs.schedules set next_fire_at = (select min(" + fireTime + ") from pgjobs.jobs)");

        first.start();
        Await.until(Duration.ofSeconds(10), "it fired past the rewound times", () -> db.queryLong(
                "select count(*) from pgjobs.jobs where " + fireTime + " > to_timestamp(" + lastFired + ")") > 0);
        first.stop();
        assertThat(db.queryLong("select count(*) - count(distinct metadata->>'pgjobs.fire_time') from pgjobs.jobs"))
                .as("fire times enqueued twice").isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where " + fireTime + " <= to_timestamp(" + lastFired + ")"))
                .isEqualTo(fired);
    }

    /**
     * The firer reads V33's schedule_clock(), which pgjobs-test moves in a test's database: put a second past an
     * hourly schedule's next fire time, it fires that time once and on time (the schedule skips misfires, so a
     * fire read as late would enqueue nothing), and the job is due on the database's own clock.
     */
    @Test
    void theFirerGoesBySchedulesClockAndJobsByTheDatabases() throws Exception {
        schedules.upsert(Schedule.of("hourly", "0 * * * *", "test.tick", Map.of()).misfire(MisfirePolicy.SKIP));
        Instant next = schedules.get("hourly").orElseThrow().nextFireAt();
        long ahead = db.queryLong("select (extract(epoch from timestamptz '" + next + "' - now()) * 1000000)::bigint")
                + 1_000_000;
        try {
            setScheduleClock("now() + interval '" + ahead + " microseconds'");
            first.start();
            Await.until(Duration.ofSeconds(30), "the hourly schedule fired", () -> jobsOf("hourly") == 1);
            first.stop();

            assertThat(db.queryLong("select count(*) from pgjobs.jobs where (metadata->>'pgjobs.fire_time')::timestamptz"
                    + " = timestamptz '" + next + "' and run_at <= now() and run_at > now() - interval '1 minute'"))
                    .as("the fire time's job, due now on the database's clock").isEqualTo(1);
            assertThat(schedules.get("hourly").orElseThrow().nextFireAt()).isEqualTo(next.plus(Duration.ofHours(1)));
        } finally {
            setScheduleClock("now()");
        }
    }

    private static void setScheduleClock(String body) throws Exception {
        db.execute("create or replace function pgjobs.schedule_clock() returns timestamptz language sql stable"
                + " parallel safe as $$ select " + body + " $$");
    }

    @Test
    void onlyALeaderFires() throws Exception {
        AtomicBoolean leads = new AtomicBoolean(false);
        AtomicInteger asked = new AtomicInteger();
        ScheduleFirer firer = new ScheduleFirer(stores.schedules(), stores.jobWriter(), Duration.ofMillis(50), () -> {
                    asked.incrementAndGet();
                    return leads.get();
                }, telemetry);
        schedules.upsert(Schedule.of("follower", "every 1s", "test.tick", Map.of()));
        db.execute("update pgjobs.schedules set next_fire_at = now() - interval '5 seconds'");
        firer.start();
        try {
            Await.until(Duration.ofSeconds(10), "the follower looked five times", () -> asked.get() >= 5);
            assertThat(jobsOf("follower")).isZero();
            leads.set(true);
            Await.until(Duration.ofSeconds(10), "it fires once it leads", () -> jobsOf("follower") > 0);
        } finally {
            firer.stop();
        }
    }

    /** A schedule whose fire times cannot be computed stays due, and the schedules after it still fire. */
    @Test
    void aScheduleWhoseRecurrenceFailsDoesNotStopTheOthers() throws Exception {
        schedules.upsert(Schedule.of("broken", "every 1s", "test.tick", Map.of()));
        schedules.upsert(Schedule.of("healthy", "every 1s", "test.tick", Map.of()));
        // the broken one is due first, so the firer meets it before the healthy one in every round
        db.execute("update pgjobs.schedules set next_fire_at = now() - interval '10 seconds' where name = 'broken'");
        Recurrence failing = new Recurrence() {
            @Override
            public Optional<Instant> nextAfter(Instant after) {
                throw new IllegalStateException("no fire time found");
            }

            @Override
            public String description() {
                return "fails";
            }
        };
        ScheduleFirer firer = new ScheduleFirer(stores.schedules(), stores.jobWriter(), config.pollInterval(),
                () -> true, telemetry,
                schedule -> schedule.name().equals("broken") ? failing : DefaultScheduleClient.recurrence(schedule));
        firer.start();
        try {
            Await.until(Duration.ofSeconds(15), "the healthy schedule fired three times", () -> jobsOf("healthy") >= 3);
        } finally {
            firer.stop();
        }
        assertThat(jobsOf("broken")).isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.schedules where name = 'broken' and next_fire_at < now()"))
                .as("the broken schedule is still due").isOne();
    }

    @Test
    void keepsFiringAfterItsConnectionsAreKilled() throws Exception {
        schedules.upsert(Schedule.of("survivor", "every 1s", "test.tick", Map.of()));
        first.start();
        Await.until(Duration.ofSeconds(10), "a first fire", () -> jobsOf("survivor") > 0);
        long killed = db.queryLong("select count(pg_terminate_backend(pid)) from pg_stat_activity "
                + "where datname = current_database() and pid <> pg_backend_pid()");
        assertThat(killed).isPositive();
        long before = jobsOf("survivor");
        Await.until(Duration.ofSeconds(15), "fires after the connections died", () -> jobsOf("survivor") >= before + 2);
    }

    @Test
    void startAndStopInAnyOrderAndRepeatedly() throws Exception {
        first.stop();
        for (int i = 0; i < 20; i++) {
            first.start();
            first.start();
            first.stop();
            first.stop();
        }
        schedules.upsert(Schedule.of("restarted", "every 1s", "test.tick", Map.of()));
        first.start();
        Await.until(Duration.ofSeconds(10), "it fires after the restarts", () -> jobsOf("restarted") > 0);
    }
}
