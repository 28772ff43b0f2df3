package io.pgjobs.test;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgjobs.Job;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.Schedule;
import io.pgjobs.Schedule.MisfirePolicy;
import io.pgjobs.ScheduleInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link PgJobsTestKit#advanceTime}: cron schedules fire each fire time within the time advanced, once and on
 * time, and delayed jobs come due, on one clock. The hourly schedule skips a fire time it finds missed (its
 * misfire policy), so a step that came too late for the firer would show as a fire time missing.
 */
class AdvanceTimeTest {
    @JobKind("test.tick")
    record Tick() {}

    @JobKind("test.later")
    record Later(String name) {}

    static final Queue<String> RAN = new ConcurrentLinkedQueue<>();
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final PgJobsExtension pgjobs = PgJobsExtension.embedded()
            .scheduler(builder -> builder.queue("default", 2)
                    .handler(Tick.class, ctx -> RAN.add("tick at " + ctx.metadata().get("pgjobs.fire_time")))
                    .handler(Later.class, ctx -> RAN.add(ctx.args().name()))
                    .schedule(Schedule.of("hourly", "0 * * * *", JobRequest.of(new Tick()))
                            .misfire(MisfirePolicy.SKIP)));

    @BeforeEach
    void forget() {
        RAN.clear();
    }

    @Test
    void anHourlyScheduleFiresOncePerAdvancedHour(PgJobsTestKit kit) {
        Instant first = justPastAFireTime(kit);
        int firedBefore = fireTimes(kit).size();
        Duration aheadBefore = Duration.between(kit.now(), kit.scheduleClock());

        kit.advanceTime(Duration.ofHours(3));

        assertThat(newFireTimes(kit, firedBefore)).containsExactly(first, first.plus(Duration.ofHours(1)),
                first.plus(Duration.ofHours(2)));
        assertThat(RAN).as("jobs run only in a drain").isEmpty();
        kit.drain();
        kit.assertNoFailedJobs();
        assertThat(RAN).containsExactlyInAnyOrder("tick at " + first, "tick at " + first.plus(Duration.ofHours(1)),
                "tick at " + first.plus(Duration.ofHours(2)));

        kit.advanceTime(Duration.ofHours(1));

        assertThat(newFireTimes(kit, firedBefore)).hasSize(4).last().isEqualTo(first.plus(Duration.ofHours(3)));
        ScheduleInfo hourly = hourly(kit);
        assertThat(hourly.lastFireAt()).isEqualTo(first.plus(Duration.ofHours(3)));
        assertThat(hourly.nextFireAt()).isEqualTo(first.plus(Duration.ofHours(4)));
        assertThat(Duration.between(kit.now(), kit.scheduleClock()).minus(aheadBefore))
                .as("the schedules' clock moved four hours, less the time the test took")
                .isLessThanOrEqualTo(Duration.ofHours(4)).isGreaterThan(Duration.ofHours(4).minusMinutes(1));
    }

    @Test
    void delayedJobsComeDueOnTheSameClockAsTheSchedules(PgJobsTestKit kit) {
        Instant first = justPastAFireTime(kit);
        int firedBefore = fireTimes(kit).size();
        kit.client().enqueue(JobRequest.of(new Later("in 90 minutes")).delay(Duration.ofMinutes(90)));

        assertThat(kit.advanceTime(Duration.ofHours(1))).as("jobs moved").isEqualTo(1);
        kit.drain();

        assertThat(RAN).containsExactly("tick at " + first);
        Job later = kit.assertEnqueued(Later.class, args -> true);
        assertThat(Duration.between(kit.now(), later.runAt())).isPositive()
                .isLessThanOrEqualTo(Duration.ofMinutes(30));

        kit.advanceTime(Duration.ofMinutes(30));
        kit.drain();

        assertThat(RAN).containsExactly("tick at " + first, "in 90 minutes");
        assertThat(newFireTimes(kit, firedBefore)).containsExactly(first);
    }

    @Test
    void eachTestStartsOnTheDatabasesClock(PgJobsTestKit kit) {
        startsOnTheDatabasesClockThenMovesIt(kit);
    }

    @Test
    void eachTestStartsOnTheDatabasesClockEvenAfterAnotherMovedIt(PgJobsTestKit kit) {
        startsOnTheDatabasesClockThenMovesIt(kit);
    }

    /** Whichever of the two tests runs second finds the clock the first one moved back in place. */
    private static void startsOnTheDatabasesClockThenMovesIt(PgJobsTestKit kit) {
        assertThat(Duration.between(kit.now(), kit.scheduleClock()).abs()).isLessThan(Duration.ofMinutes(1));
        kit.advanceTime(Duration.ofHours(6));
        assertThat(Duration.between(kit.now(), kit.scheduleClock())).isGreaterThan(Duration.ofHours(5));
    }

    /**
     * Moves the schedules' clock a second past the hourly schedule's next fire time, runs that fire's job and
     * forgets it, and answers the next fire time: the clock is then nearly an hour before it, so the database's
     * own time passing during the test does not fire it behind the test's back.
     */
    private static Instant justPastAFireTime(PgJobsTestKit kit) {
        Duration untilNext = Duration.between(kit.scheduleClock(), hourly(kit).nextFireAt()).plusSeconds(1);
        kit.advanceTime(untilNext.isPositive() ? untilNext : Duration.ofSeconds(1));
        kit.drain();
        RAN.clear();
        return hourly(kit).nextFireAt();
    }

    /** The fire times enqueued after the first {@code before}. */
    private static List<Instant> newFireTimes(PgJobsTestKit kit, int before) {
        List<Instant> all = fireTimes(kit);
        return all.subList(before, all.size());
    }

    private static ScheduleInfo hourly(PgJobsTestKit kit) {
        return kit.client().schedules().get("hourly").orElseThrow();
    }

    /** The fire times the hourly schedule enqueued a job for, in order (from each job's metadata). */
    private static List<Instant> fireTimes(PgJobsTestKit kit) {
        return kit.jobs("test.tick").stream().map(AdvanceTimeTest::fireTime).sorted().toList();
    }

    private static Instant fireTime(Job job) {
        try {
            return Instant.parse(JSON.readTree(job.metadata()).get("pgjobs.fire_time").asText());
        } catch (JsonProcessingException e) {
            throw new AssertionError("job " + job.id() + " has unreadable metadata " + job.metadata(), e);
        }
    }
}
